-- A whole slice is in the store: committed_until moves to its end, max_created_at only forward.
UPDATE pull_watermarks SET
    committed_until = $committed_until,
    max_created_at = greatest(coalesce(max_created_at, $newest), $newest),
    updated_at = now()
WHERE tenant_id = $tenant AND event_type = $event_type
