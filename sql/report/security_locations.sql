-- 500121 attempts from a country new to the user or after impossible travel, per UTC day and country.
SELECT day, country, CASE WHEN impossible_travel THEN 'impossible travel' ELSE 'new country' END AS kind,
       count(DISTINCT attempt) AS attempts
FROM report_failures WHERE list_contains(causes, 'new_location')
GROUP BY ALL ORDER BY day, kind, country
