-- One tagging bucket's facts, in no particular order (transforms.features.signin_features sorts them).
SELECT * EXCLUDE (bucket) FROM bucket_facts WHERE bucket = $bucket
