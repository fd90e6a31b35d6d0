-- The child rows of the staged records (registered as `stg_records`), keyed by the batch row number (rn)
-- until the merge picks the winning version. Unnested where the batch is staged (signins.load.stage),
-- the merge reads them as stg_auth_steps, stg_ca_policies, ...

CREATE OR REPLACE TEMP VIEW batch_auth_steps AS
SELECT rn, id AS signin_id, created_at AS signin_created_at, step_no, s.authenticationStepDateTime AS step_at,
       nullif(s.authenticationMethod, '') AS method, nullif(s.authenticationMethodDetail, '') AS method_detail,
       nullif(s.authenticationStepRequirement, '') AS requirement,
       nullif(s.authenticationStepResultDetail, '') AS result_detail, s.succeeded,
       s.StatusSequence AS status_sequence, s.RequestSequence AS request_sequence
FROM (SELECT rn, id, created_at, unnest(auth_details) AS s, generate_subscripts(auth_details, 1) AS step_no
      FROM stg_records WHERE accepted AND len(auth_details) > 0);

-- A batch holds few distinct condition strings: turn each into flags once, not once per policy row.
CREATE OR REPLACE TEMP VIEW batch_ca_policies AS
WITH applied AS (
    SELECT rn, id AS signin_id, created_at AS signin_created_at, unnest(ca_policies) AS p,
           generate_subscripts(ca_policies, 1) AS policy_no
    FROM stg_records WHERE accepted AND len(ca_policies) > 0
),
flags AS (
    SELECT conditions, ca_flags(conditions) AS flags
    FROM (SELECT p.conditionsSatisfied AS conditions FROM applied UNION SELECT p.conditionsNotSatisfied FROM applied)
)
SELECT rn, signin_id, signin_created_at, policy_no, nullif(p.id, '') AS policy_id, p.displayName AS display_name,
       lower_first(p.result) AS result, p.enforcedGrantControls AS enforced_grant_controls,
       p.enforcedSessionControls AS enforced_session_controls,
       satisfied.flags AS conditions_satisfied, not_satisfied.flags AS conditions_not_satisfied
FROM applied
LEFT JOIN flags AS satisfied ON satisfied.conditions = p.conditionsSatisfied
LEFT JOIN flags AS not_satisfied ON not_satisfied.conditions = p.conditionsNotSatisfied;

CREATE OR REPLACE TEMP VIEW batch_app_policy_evaluations AS
SELECT rn, id AS signin_id, created_at AS signin_created_at, evaluation_no, e.policyName AS policy_name, e.status,
       e.adminConfiguration AS admin_configuration, e.authenticationEvaluation AS authentication_evaluation
FROM (SELECT rn, id, created_at, unnest(app_policy_evaluations) AS e, generate_subscripts(app_policy_evaluations, 1) AS evaluation_no
      FROM stg_records WHERE accepted AND len(app_policy_evaluations) > 0);

CREATE OR REPLACE TEMP VIEW batch_app_device_details AS
SELECT rn, id AS signin_id, created_at AS signin_created_at, d.appVersion AS app_version, d.clientApp AS client_app,
       nullif(d.deviceId, '') AS device_id, d.operatingSystem AS operating_system
FROM (SELECT rn, id, created_at, app_device AS d FROM stg_records WHERE accepted)
WHERE d IS NOT NULL AND (d.appVersion IS NOT NULL OR d.clientApp IS NOT NULL OR d.deviceId IS NOT NULL
                         OR d.operatingSystem IS NOT NULL);
