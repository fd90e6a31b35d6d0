SELECT count(*) FROM signins
