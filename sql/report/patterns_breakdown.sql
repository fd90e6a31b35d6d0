-- 500121 attempts and users by MFA method, operating system, client app, application, browser, user agent
-- and country: the $top values of each (one pass, one grouping set per dimension).
WITH counted AS (
    SELECT CASE WHEN NOT grouping(mfa_method) THEN 'method' WHEN NOT grouping(os) THEN 'os'
                WHEN NOT grouping(client_app) THEN 'client_app' WHEN NOT grouping(app) THEN 'app'
                WHEN NOT grouping(browser) THEN 'browser' WHEN NOT grouping(user_agent) THEN 'user_agent'
                ELSE 'country' END AS dimension,
           coalesce(mfa_method, os, client_app, app, browser, user_agent, country) AS value,
           count(DISTINCT attempt) AS attempts, count(DISTINCT user_key) AS users
    FROM report_failures
    GROUP BY GROUPING SETS ((mfa_method), (os), (client_app), (app), (browser), (user_agent), (country))
)
SELECT * FROM counted
QUALIFY row_number() OVER (PARTITION BY dimension ORDER BY attempts DESC, value) <= $top
ORDER BY dimension, attempts DESC, value
