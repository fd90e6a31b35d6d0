-- The staged sign-in rows (load/10_stage_batch.sql), once the candidates the batch did not accept
-- have been handed back to Python (signins.load).

DELETE FROM stg_records WHERE NOT accepted;

CREATE OR REPLACE TEMP VIEW stg_signins AS
SELECT * EXCLUDE (locator, line, byte_offset, byte_length, accepted, auth_details, ca_policies,
                  app_policy_evaluations, app_device)
FROM stg_records;
