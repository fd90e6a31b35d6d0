-- Where an interrupted slice continues: of the slices starting at $slice_start, the one a page was last
-- landed for since the watermark last moved (so never a page of an older, finished pass over the same
-- start), its end, that page, its nextLink (NULL: it was the slice's last page) and the newest sign-in of
-- the slice's pages. No row: no page of such a slice was landed; start a new slice at page 1.
WITH landed AS (
    SELECT p.slice_end, p.page, p.next_link, p.max_created_at, p.fetched_at
    FROM pull_pages AS p
    JOIN pull_watermarks AS w ON w.tenant_id = p.tenant_id AND w.event_type = p.event_type
    WHERE p.tenant_id = $tenant AND p.event_type = $event_type
      AND p.slice_start = $slice_start
      AND p.fetched_at >= w.updated_at
),
last_page AS (
    SELECT slice_end, page, next_link
    FROM landed
    ORDER BY fetched_at DESC, page DESC
    LIMIT 1
)
SELECT
    l.slice_end,
    l.page,
    l.next_link,
    (SELECT max(max_created_at) FROM landed WHERE landed.slice_end = l.slice_end) AS newest
FROM last_page AS l
