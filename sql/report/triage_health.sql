-- The store's health for the landing page: the newest sign-in, sign-ins loaded since the last tagging,
-- the last run and its outcome, and what was quarantined in the window's loads.
SELECT (SELECT max(created_at) FROM signins) AS newest_signin,
       (SELECT max(loaded_at) FROM signins) AS last_loaded,
       (SELECT loaded_until FROM tag_state WHERE id = 1) AS tagged_until,
       (SELECT count(*) FROM signins WHERE loaded_at > coalesce((SELECT loaded_until FROM tag_state WHERE id = 1),
                                                                 '-infinity'::TIMESTAMPTZ)) AS untagged,
       (SELECT count(*) FROM signins) AS signins_stored,
       (SELECT count(*) FROM quarantine) AS quarantined,
       (SELECT arg_max(run_name, started_at) FROM runs) AS last_run,
       (SELECT arg_max(state, started_at) FROM runs) AS last_run_state,
       (SELECT max(started_at) FROM runs) AS last_run_at
