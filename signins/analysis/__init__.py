"""What the stored sign-ins mean, and getting it out: cause tagging, explain, exports, evaluation."""
