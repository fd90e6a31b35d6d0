-- The staged sign-in rows (load/20_staged_records.sql, registered as `stg_records`), without the
-- candidates the batch did not accept: those were handed back to Python (signins.load).

CREATE OR REPLACE TEMP VIEW stg_signins AS
SELECT * EXCLUDE (locator, line, byte_offset, byte_length, accepted, auth_details, ca_policies,
                  app_policy_evaluations, app_device)
FROM stg_records
WHERE accepted;
