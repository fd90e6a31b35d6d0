"""What a run does around its data: land files as an undoable run, gate them, send alerts."""
