-- User sign-ins per UTC day by outcome. Interrupts are the codes the Entra "sign-in failure analysis"
-- workbook counts as "pending user action"; 500121 is split from the other failures. Grouped on the epoch
-- day: casting every TIMESTAMPTZ to DATE goes through the time-zone library and is far slower. Counted per
-- day and error code first (a few codes), then the codes are named as outcomes.
SELECT DATE '1970-01-01' + CAST(utc_day AS INTEGER) AS day,
       CASE WHEN error_code = 0 THEN 'success'
            WHEN error_code = 500121 THEN 'MFA failure (500121)'
            WHEN error_code IN (50058, 50140, 51006, 50059, 65001, 52004, 50055, 50144, 50072, 50074, 16000, 16001,
                                16003, 50127, 50125, 50129, 50143, 81010, 81014, 81012, 29200, 50019, 50076, 50097,
                                50158, 165100) THEN 'interrupt'
            ELSE 'other failure' END AS outcome,
       sum(signins)::BIGINT AS signins
FROM (
    SELECT epoch_us(created_at) // 86400000000 AS utc_day, error_code, count(*) AS signins
    FROM signins
    WHERE created_at >= $since AND created_at < $until AND event_type IN ('interactiveUser', 'nonInteractiveUser')
    GROUP BY ALL
)
GROUP BY ALL
ORDER BY day, outcome
