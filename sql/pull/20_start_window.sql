-- A new window to read: reset window and committed_until, keep the newest sign-in seen so far.
INSERT INTO pull_watermarks
    (tenant_id, event_type, window_start, window_end, committed_until, max_created_at, updated_at)
VALUES ($tenant, $event_type, $window_start, $window_end, $window_start, NULL, now())
ON CONFLICT (tenant_id, event_type) DO UPDATE SET
    window_start = excluded.window_start,
    window_end = excluded.window_end,
    committed_until = excluded.committed_until,
    updated_at = now()
