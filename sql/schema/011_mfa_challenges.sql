-- Schema version 11: what the Conditional Access workbench counts, kept where one scan finds it.
--
-- `signins.mfa_challenge_method`: the method of the MFA prompt the sign-in showed (its last MFA step not
-- satisfied by an earlier sign-in's claim), else the method of its failed step when the sign-in failed
-- with 500121, else mfaDetail's method; NULL when the sign-in prompted for no MFA. Failure rates per
-- method, platform, app and policy divide 500121 sign-ins by the sign-ins with a prompt, and reading the
-- steps of every sign-in of a month for that would cost the report a second, larger scan.
--
-- `ca_policy_sets.authentication_strength`: the authentication strength a policy enforced (Graph beta's
-- authenticationStrength.displayName). A list's key leaves the field out when it is NULL, so the lists
-- stored before keep their keys; lists loaded before hold NULL here.

ALTER TABLE signins ADD COLUMN mfa_challenge_method VARCHAR;
ALTER TABLE displaced_signins ADD COLUMN mfa_challenge_method VARCHAR;   -- the mirror follows (005_runs.sql)

-- The MFA step of a sign-in as the loader picks it (mfa_challenge_method in sql/load/10_stage_macros.sql).
CREATE MACRO mfa_prompt_step(requirement, method, result_detail) AS
    requirement ILIKE 'multi%' AND coalesce(method, '') NOT IN ('', 'Previously satisfied')
    AND coalesce(result_detail, '') NOT ILIKE '%satisfied by claim%';

-- The stored sign-ins and the versions runs keep aside, from their stored steps.
CREATE TEMP TABLE challenged AS
SELECT run_name, tenant_id, signin_id,
       arg_max(method, step_no) FILTER (mfa_prompt_step(requirement, method, result_detail)) AS prompted,
       arg_max(method, step_no) FILTER (NOT succeeded AND coalesce(method, '') <> '') AS failed
FROM (SELECT NULL::VARCHAR AS run_name, * FROM signin_auth_steps
      UNION ALL BY NAME SELECT * FROM displaced_auth_steps)
GROUP BY ALL;

UPDATE signins AS s
SET mfa_challenge_method = coalesce(c.prompted, CASE WHEN s.error_code = 500121 THEN c.failed END)
FROM challenged AS c WHERE c.run_name IS NULL AND c.tenant_id = s.tenant_id AND c.signin_id = s.id;
UPDATE displaced_signins AS s
SET mfa_challenge_method = coalesce(c.prompted, CASE WHEN s.error_code = 500121 THEN c.failed END)
FROM challenged AS c WHERE c.run_name = s.run_name AND c.tenant_id = s.tenant_id AND c.signin_id = s.id;
UPDATE signins SET mfa_challenge_method = mfa_auth_method WHERE mfa_challenge_method IS NULL;
UPDATE displaced_signins SET mfa_challenge_method = mfa_auth_method WHERE mfa_challenge_method IS NULL;
DROP TABLE challenged;

ALTER TABLE ca_policy_sets ADD COLUMN authentication_strength VARCHAR;

CREATE OR REPLACE MACRO ca_policy(policy_id, display_name, result, enforced_grant_controls, enforced_session_controls,
                                  conditions_satisfied, conditions_not_satisfied, authentication_strength) AS
    struct_pack(policy_id := policy_id, display_name := display_name, result := result,
                enforced_grant_controls := enforced_grant_controls,
                enforced_session_controls := enforced_session_controls,
                conditions_satisfied := conditions_satisfied, conditions_not_satisfied := conditions_not_satisfied,
                authentication_strength := authentication_strength);

-- A policy's JSON without the strength when it has none: the text the keys of version 8 hashed.
CREATE OR REPLACE MACRO ca_policy_hash(position, policy) AS md5_number(position::VARCHAR || ':' || CASE
    WHEN policy.authentication_strength IS NULL
    THEN to_json(struct_pack(policy_id := policy.policy_id, display_name := policy.display_name,
                             result := policy.result, enforced_grant_controls := policy.enforced_grant_controls,
                             enforced_session_controls := policy.enforced_session_controls,
                             conditions_satisfied := policy.conditions_satisfied,
                             conditions_not_satisfied := policy.conditions_not_satisfied))
    ELSE to_json(policy) END);

CREATE OR REPLACE VIEW signin_ca_policies AS
SELECT s.id AS signin_id, p.policy_no, p.policy_id, p.display_name, p.result, p.enforced_grant_controls,
       p.enforced_session_controls, p.conditions_satisfied, p.conditions_not_satisfied,
       s.created_at AS signin_created_at, s.tenant_id, p.authentication_strength
FROM signins AS s JOIN ca_policy_sets AS p ON p.ca_set = s.ca_set;
