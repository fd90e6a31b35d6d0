-- Per user with a page and UTC day, 500121 attempts by primary cause.
SELECT f.tenant_id, f.user_key, f.day, f.primary_cause AS cause, count(DISTINCT f.attempt) AS attempts
FROM report_failures f JOIN report_pages p USING (tenant_id, user_key)
GROUP BY ALL ORDER BY ALL
