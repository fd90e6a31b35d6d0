"""Reliability harnesses: the crash-consistency soak (soak.py) and the hostile input corpus (corpus.py)."""
