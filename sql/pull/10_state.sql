-- The watermark of one tenant and event type (no row before its first pull).
SELECT window_start, window_end, committed_until, max_created_at
FROM pull_watermarks
WHERE tenant_id = $tenant AND event_type = $event_type
