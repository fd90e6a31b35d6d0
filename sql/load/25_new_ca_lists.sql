-- The policy lists a staged batch (registered as `stg_records`, from load/20_staged_records.sql) met
-- for the first time, each distinct JSON text parsed once, normalised and keyed
-- (sql/schema/008_ca_policy_sets.sql); two texts can spell one list. A list with no policy gets no key.

INSERT INTO ca_known
SELECT hash(ca_json), ca_json, CASE WHEN len(policies) > 0 THEN ca_set_key(policies) END, policies
FROM (SELECT ca_json, ca_policy_list(ca_json) AS policies
      FROM (SELECT DISTINCT ca_json FROM stg_records WHERE ca_json IS NOT NULL));
