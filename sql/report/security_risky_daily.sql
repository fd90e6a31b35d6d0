-- Risky user sign-ins (Identity Protection risk during sign-in, or a risk state) per UTC day, level and outcome.
SELECT created_at::DATE AS day, coalesce(nullif(risk_level_during_signin, 'none'), 'risk state only') AS risk_level,
       CASE WHEN error_code = 0 THEN 'succeeded' ELSE 'failed' END AS outcome, count(*) AS signins
FROM report_signins WHERE risky
GROUP BY ALL ORDER BY day, risk_level, outcome
