-- The store's health for the landing page: the newest sign-in, sign-ins loaded since the last tagging,
-- what was quarantined (in all, and while the last run ran: its unreadable records and those its
-- validation gates failed), and the last run with its outcome.
SELECT (SELECT max(created_at) FROM signins) AS newest_signin,
       (SELECT max(loaded_at) FROM signins) AS last_loaded,
       (SELECT loaded_until FROM tag_state WHERE id = 1) AS tagged_until,
       (SELECT count(*) FROM signins WHERE loaded_at > coalesce((SELECT loaded_until FROM tag_state WHERE id = 1),
                                                                 '-infinity'::TIMESTAMPTZ)) AS untagged,
       (SELECT count(*) FROM signins) AS signins_stored,
       (SELECT count(*) FROM quarantine) AS quarantined,
       (SELECT arg_max(run_name, started_at) FROM runs) AS last_run,
       (SELECT arg_max(state, started_at) FROM runs) AS last_run_state,
       (SELECT max(started_at) FROM runs) AS last_run_at,
       (SELECT count(*) FROM quarantine q, (SELECT arg_max(started_at, started_at) AS since,
                                                   arg_max(coalesce(ended_at, 'infinity'), started_at) AS until FROM runs) r
        WHERE q.quarantined_at BETWEEN r.since AND r.until) AS last_run_quarantined
