-- Per Conditional Access policy and UTC day, the 500121 attempts it demanded (report-only as their own rows).
SELECT day, policy, report_only, failures, users
FROM policy_daily
WHERE day >= $since::DATE AND day <= $last_day
ORDER BY policy, report_only, day
