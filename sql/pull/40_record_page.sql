-- One landed page: the request window it answered, what it brought and where its nextLink pointed.
INSERT INTO pull_pages
    (tenant_id, event_type, run_id, slice_start, slice_end, page, file_sha256, path, records, new_signins,
     quarantined, min_created_at, max_created_at, next_link, fetched_at)
VALUES ($tenant, $event_type, $run_id, $slice_start, $slice_end, $page, $file_sha256, $path, $records,
        $new_signins, $quarantined, $min_created_at, $max_created_at, $next_link, now())
