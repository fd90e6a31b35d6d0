-- Per MFA method, platform, browser, application and client app: sign-ins with an MFA prompt, the 500121
-- among them and the failure rate (every value, most prompts first).
SELECT dimension, coalesce(method, platform, browser, app, client_app) AS value, prompts, failures,
       round(100.0 * failures / prompts, 1) AS failure_rate
FROM report_prompt_counts
WHERE dimension IN ('method', 'platform', 'browser', 'app', 'client_app')
ORDER BY dimension, prompts DESC, value
