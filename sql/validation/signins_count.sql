SELECT count(*) FROM gate_signins
