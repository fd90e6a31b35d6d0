-- The staged sign-in rows (load/20_staged_records.sql without its nested child lists, registered as
-- `stg_records`), without the candidates the batch did not accept: those were handed back to Python
-- (signins.load).

CREATE OR REPLACE TEMP VIEW stg_signins AS
SELECT * EXCLUDE (locator, line, byte_offset, byte_length, accepted)
FROM stg_records
WHERE accepted;
