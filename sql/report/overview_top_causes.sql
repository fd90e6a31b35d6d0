-- Primary causes by attempts, with the users they hit, their share and the fix.
SELECT cause, attempts, users, round(100.0 * attempts / sum(attempts) OVER (), 1) AS share, fix
FROM (SELECT primary_cause AS cause, count(DISTINCT attempt) AS attempts, count(DISTINCT user_key) AS users,
             any_value(fix) AS fix
      FROM report_failures GROUP BY cause)
ORDER BY attempts DESC, cause
