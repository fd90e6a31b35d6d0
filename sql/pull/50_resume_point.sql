-- Where an interrupted slice continues: the last page landed for it since its watermark last moved
-- (so never a page of an older, finished pass over the same boundaries), that page's nextLink (NULL:
-- it was the slice's last page) and the newest sign-in of those pages. No row: start at page 1.
WITH landed AS (
    SELECT p.page, p.next_link, p.max_created_at, p.fetched_at
    FROM pull_pages AS p
    JOIN pull_watermarks AS w ON w.tenant_id = p.tenant_id AND w.event_type = p.event_type
    WHERE p.tenant_id = $tenant AND p.event_type = $event_type
      AND p.slice_start = $slice_start AND p.slice_end = $slice_end
      AND p.fetched_at >= w.updated_at
)
SELECT page, next_link, (SELECT max(max_created_at) FROM landed) AS newest
FROM landed
ORDER BY fetched_at DESC, page DESC
LIMIT 1
