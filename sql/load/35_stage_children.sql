-- The child rows of the staged records (registered as `stg_records`), keyed by the batch row number (rn)
-- until the merge picks the winning version. Unnested where the batch is staged (signins.ingest.load.stage),
-- the merge reads them as stg_auth_steps, stg_ca_sets, ...

CREATE OR REPLACE TEMP VIEW batch_auth_steps AS
SELECT rn, tenant_id, id AS signin_id, created_at AS signin_created_at, step_no, s.authenticationStepDateTime AS step_at,
       nullif(s.authenticationMethod, '') AS method, nullif(s.authenticationMethodDetail, '') AS method_detail,
       nullif(s.authenticationStepRequirement, '') AS requirement,
       nullif(s.authenticationStepResultDetail, '') AS result_detail, s.succeeded,
       s.StatusSequence AS status_sequence, s.RequestSequence AS request_sequence
FROM (SELECT rn, tenant_id, id, created_at, unnest(auth_details) AS s, generate_subscripts(auth_details, 1) AS step_no
      FROM stg_records WHERE accepted AND len(auth_details) > 0);

-- The policy lists the batch's sign-ins use (ca_known, load/10_stage_macros.sql), once per key: rows of
-- ca_policy_sets. (Keys come from Arrow as text.)
CREATE OR REPLACE TEMP VIEW batch_ca_sets AS
SELECT ca_set, policy_no, p.*
FROM (SELECT ca_set, unnest(policies) AS p, generate_subscripts(policies, 1) AS policy_no
      FROM (SELECT ca_set, any_value(policies) AS policies FROM ca_known
            WHERE ca_set IN (SELECT ca_set::UUID FROM stg_records WHERE accepted) GROUP BY ca_set));

CREATE OR REPLACE TEMP VIEW batch_app_policy_evaluations AS
SELECT rn, tenant_id, id AS signin_id, created_at AS signin_created_at, evaluation_no, e.policyName AS policy_name,
       e.status,
       e.adminConfiguration AS admin_configuration, e.authenticationEvaluation AS authentication_evaluation
FROM (SELECT rn, tenant_id, id, created_at, unnest(app_policy_evaluations) AS e,
             generate_subscripts(app_policy_evaluations, 1) AS evaluation_no
      FROM stg_records WHERE accepted AND len(app_policy_evaluations) > 0);

CREATE OR REPLACE TEMP VIEW batch_app_device_details AS
SELECT rn, tenant_id, id AS signin_id, created_at AS signin_created_at, d.appVersion AS app_version,
       d.clientApp AS client_app,
       nullif(d.deviceId, '') AS device_id, d.operatingSystem AS operating_system
FROM (SELECT rn, tenant_id, id, created_at, app_device AS d FROM stg_records WHERE accepted)
WHERE d IS NOT NULL AND (d.appVersion IS NOT NULL OR d.clientApp IS NOT NULL OR d.deviceId IS NOT NULL
                         OR d.operatingSystem IS NOT NULL);
