-- One tagging bucket's facts, each user's sign-ins in time order (as signins_features expects).
SELECT * EXCLUDE (bucket) FROM bucket_facts WHERE bucket = $bucket ORDER BY user_key, created_at, signin_id
