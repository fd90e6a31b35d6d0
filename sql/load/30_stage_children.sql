-- The child tables of the staged records, keyed by record_key until the merge picks the winning version.

CREATE OR REPLACE TEMP VIEW stg_auth_steps AS
SELECT record_key, signin_id, step_no, s.authenticationStepDateTime AS step_at,
       nullif(s.authenticationMethod, '') AS method, nullif(s.authenticationMethodDetail, '') AS method_detail,
       nullif(s.authenticationStepRequirement, '') AS requirement,
       nullif(s.authenticationStepResultDetail, '') AS result_detail, s.succeeded,
       s.StatusSequence AS status_sequence, s.RequestSequence AS request_sequence
FROM (SELECT record_key, signin_id, unnest(r.authenticationDetails) AS s,
             generate_subscripts(r.authenticationDetails, 1) AS step_no
      FROM stg_records WHERE len(r.authenticationDetails) > 0);

CREATE OR REPLACE TEMP VIEW stg_ca_policies AS
SELECT record_key, signin_id, policy_no, nullif(p.id, '') AS policy_id, p.displayName AS display_name,
       lower_first(p.result) AS result, p.enforcedGrantControls AS enforced_grant_controls,
       p.enforcedSessionControls AS enforced_session_controls,
       ca_flags(p.conditionsSatisfied) AS conditions_satisfied,
       ca_flags(p.conditionsNotSatisfied) AS conditions_not_satisfied
FROM (SELECT record_key, signin_id, unnest(r.appliedConditionalAccessPolicies) AS p,
             generate_subscripts(r.appliedConditionalAccessPolicies, 1) AS policy_no
      FROM stg_records WHERE len(r.appliedConditionalAccessPolicies) > 0);

CREATE OR REPLACE TEMP VIEW stg_app_policy_evaluations AS
SELECT record_key, signin_id, evaluation_no, e.policyName AS policy_name, e.status,
       e.adminConfiguration AS admin_configuration, e.authenticationEvaluation AS authentication_evaluation
FROM (SELECT record_key, signin_id, unnest(r.authenticationAppPolicyEvaluationDetails) AS e,
             generate_subscripts(r.authenticationAppPolicyEvaluationDetails, 1) AS evaluation_no
      FROM stg_records WHERE len(r.authenticationAppPolicyEvaluationDetails) > 0);

CREATE OR REPLACE TEMP VIEW stg_app_device_details AS
SELECT record_key, signin_id, d.appVersion AS app_version, d.clientApp AS client_app,
       nullif(d.deviceId, '') AS device_id, d.operatingSystem AS operating_system
FROM (SELECT record_key, signin_id, r.authenticationAppDeviceDetails AS d FROM stg_records)
WHERE d IS NOT NULL AND (d.appVersion IS NOT NULL OR d.clientApp IS NOT NULL OR d.deviceId IS NOT NULL
                         OR d.operatingSystem IS NOT NULL);
