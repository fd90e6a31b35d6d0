-- The staged records (`stg_records`) once the lists they met for the first time are known
-- (load/25_new_ca_lists.sql): those sign-ins get their list, and their completeness counts its policies.
-- (Keys come from Arrow as text.)
SELECT r.* EXCLUDE (ca_set, completeness, ca_json),
       coalesce(r.ca_set::UUID, known.ca_set) AS ca_set,
       r.completeness + coalesce(len(known.policies), 0) AS completeness
FROM stg_records AS r LEFT JOIN ca_known AS known ON known.ca_json = r.ca_json;
