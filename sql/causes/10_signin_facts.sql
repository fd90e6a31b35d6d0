-- Sign-in facts for the cause engine (transforms/FEATURES.md), as the view `signin_facts`: one row per
-- user sign-in the tagging run reads (the temp tables pending_users and history_rows, 05_pending_users.sql
-- and 07_history_rows.sql), with the MFA step, the Authenticator details and the failing Conditional
-- Access policies folded in.
--
-- The 500121 failures the run re-tags also get the hour before them: the user's wrong passwords (50126),
-- MFA interrupts of other attempts (50074, 50076) and Conditional Access blocks (53003), and how many users
-- failed a password from the failure's IP (a spray touches many users from one address: read from the
-- whole tenant, not the user's rows alone; 05_pending_users.sql re-tags the users it reaches).
--
-- Those come from the child rows of the sign-ins from context_from on only: the older sign-ins are read
-- for their own columns (the sign-ins a run re-tags lie later), and DuckDB skips the child rows of older
-- sign-ins by their time instead of aggregating the whole store.

CREATE OR REPLACE TEMP VIEW signin_facts AS
WITH children_since AS (
    SELECT coalesce(min(context_from), '-infinity'::TIMESTAMPTZ) AS since FROM pending_users
),
s AS (
    SELECT s.*, u.user_key
    FROM signins AS s
    JOIN pending_users AS u
      ON u.tenant_id = s.tenant_id AND u.user_key = coalesce(s.user_id, lower(s.user_principal_name))
    WHERE s.event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND (u.context_from IS NULL OR s.created_at >= u.context_from
           OR (s.error_code = 500121 AND s.created_at >= u.failures_from)
           OR (s.tenant_id, s.id) IN (SELECT tenant_id, signin_id FROM history_rows))
),
steps AS (
    SELECT tenant_id, signin_id,
           coalesce(arg_max(method, step_no) FILTER (requirement ILIKE 'multi%'),
                    arg_max(method, step_no) FILTER (NOT succeeded))        AS mfa_method,
           coalesce(arg_max(result_detail, step_no) FILTER (requirement ILIKE 'multi%'),
                    arg_max(result_detail, step_no) FILTER (NOT succeeded)) AS mfa_result_detail,
           coalesce(arg_max(succeeded, step_no) FILTER (requirement ILIKE 'multi%'),
                    arg_max(succeeded, step_no) FILTER (NOT succeeded))     AS mfa_succeeded
    FROM signin_auth_steps
    WHERE signin_created_at >= (SELECT since FROM children_since)
    GROUP BY tenant_id, signin_id
),
app_policy AS (
    SELECT tenant_id, signin_id, list(status ORDER BY evaluation_no) AS app_policy_statuses
    FROM signin_app_policy_evaluations
    WHERE signin_created_at >= (SELECT since FROM children_since)
    GROUP BY tenant_id, signin_id
),
app_device AS (
    SELECT tenant_id, signin_id, app_version, operating_system FROM signin_app_device_details
    WHERE signin_created_at >= (SELECT since FROM children_since)
),
-- per policy list, not per sign-in: a few hundred lists serve the store (sql/schema/008_ca_policy_sets.sql)
ca AS (
    SELECT ca_set,
           list(display_name ORDER BY policy_no) FILTER (result = 'failure')   AS ca_failure_policies,
           list(policy_id ORDER BY policy_no) FILTER (result = 'failure')      AS ca_failure_policy_ids,
           bit_or(conditions_satisfied) FILTER (result = 'failure')           AS ca_failure_conditions,
           list_sort(list_distinct(flatten(list(coalesce(enforced_grant_controls, []))
               FILTER (result = 'failure'))))                                  AS ca_failure_grants,
           ca_condition_names(bit_or(conditions_satisfied) FILTER (result = 'failure'))     AS ca_failure_matched,
           ca_condition_names(bit_or(conditions_not_satisfied) FILTER (result = 'failure')) AS ca_failure_unmet,
           list(display_name ORDER BY policy_no)
               FILTER (result IN ('reportOnlyFailure', 'reportOnlyInterrupted')) AS ca_report_only_failure_policies
    FROM ca_policy_sets
    WHERE result IN ('failure', 'reportOnlyFailure', 'reportOnlyInterrupted')
    GROUP BY ca_set
),
failures AS (   -- read apart from s: a second reference to s would build it twice
    SELECT f.tenant_id, f.id, f.correlation_id, u.user_key, f.ip_address, f.created_at
    FROM signins AS f
    JOIN pending_users AS u
      ON u.tenant_id = f.tenant_id AND u.user_key = coalesce(f.user_id, lower(f.user_principal_name))
    WHERE f.error_code = 500121 AND f.event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND (u.context_from IS NULL OR f.created_at >= u.context_from)
),
context_rows AS (
    SELECT tenant_id, coalesce(user_id, lower(user_principal_name)) AS user_key, ip_address, created_at,
           error_code, coalesce(correlation_id, id) AS attempt
    FROM signins
    WHERE error_code IN (50126, 50074, 50076, 53003) AND event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND created_at > (SELECT since FROM children_since) - INTERVAL 1 HOUR
),
user_hour AS (
    SELECT f.tenant_id, f.id AS signin_id,
           count(DISTINCT c.attempt) FILTER (c.error_code = 50126)                   AS password_failures_hour,
           count(DISTINCT c.ip_address) FILTER (c.error_code = 50126)               AS password_failure_ips_hour,
           count(DISTINCT c.attempt) FILTER (c.error_code IN (50074, 50076)
                                             AND c.attempt <> coalesce(f.correlation_id, f.id)) AS mfa_interrupts_hour,
           count(DISTINCT c.attempt) FILTER (c.error_code = 53003)                   AS ca_blocks_hour
    FROM failures AS f
    JOIN context_rows AS c ON c.tenant_id = f.tenant_id AND c.user_key = f.user_key
     AND c.created_at > f.created_at - INTERVAL 1 HOUR AND c.created_at <= f.created_at
    GROUP BY ALL
),
ip_hour AS (
    SELECT f.tenant_id, f.id AS signin_id, count(DISTINCT c.user_key) AS spray_users_hour
    FROM failures AS f
    JOIN context_rows AS c ON c.tenant_id = f.tenant_id AND c.ip_address = f.ip_address AND c.error_code = 50126
     AND c.created_at > f.created_at - INTERVAL 1 HOUR AND c.created_at <= f.created_at
    GROUP BY ALL
)
SELECT
    s.tenant_id, s.id AS signin_id, s.correlation_id, s.created_at, s.user_key, s.user_principal_name, s.event_type,
    s.error_code, s.additional_details, s.client_app_used, s.ip_address, s.country_or_region, s.city,
    s.latitude, s.longitude, s.autonomous_system_number, s.network_types, s.device_id, s.device_operating_system, s.device_browser,
    s.device_is_compliant, s.device_is_managed, s.risk_level_during_signin, s.risk_level_aggregated, s.risk_state,
    s.risk_event_types, s.requirement_providers,
    steps.mfa_method, steps.mfa_result_detail, steps.mfa_succeeded,
    app_policy.app_policy_statuses, d.app_version, d.operating_system AS app_operating_system,
    ca.ca_failure_policies, ca.ca_failure_policy_ids, ca.ca_failure_conditions::BIGINT AS ca_failure_conditions,
    ca.ca_failure_matched, ca.ca_failure_grants, ca.ca_failure_unmet,
    ca.ca_report_only_failure_policies,
    CASE WHEN s.error_code = 500121 THEN coalesce(uh.password_failures_hour, 0) END    AS password_failures_hour,
    CASE WHEN s.error_code = 500121 THEN coalesce(uh.password_failure_ips_hour, 0) END AS password_failure_ips_hour,
    CASE WHEN s.error_code = 500121 THEN coalesce(uh.mfa_interrupts_hour, 0) END       AS mfa_interrupts_hour,
    CASE WHEN s.error_code = 500121 THEN coalesce(uh.ca_blocks_hour, 0) END            AS ca_blocks_hour,
    CASE WHEN s.error_code = 500121 THEN coalesce(ih.spray_users_hour, 0) END          AS spray_users_hour
FROM s
LEFT JOIN steps ON steps.tenant_id = s.tenant_id AND steps.signin_id = s.id
LEFT JOIN app_policy ON app_policy.tenant_id = s.tenant_id AND app_policy.signin_id = s.id
LEFT JOIN app_device AS d ON d.tenant_id = s.tenant_id AND d.signin_id = s.id
LEFT JOIN ca ON ca.ca_set = s.ca_set
LEFT JOIN user_hour AS uh ON uh.tenant_id = s.tenant_id AND uh.signin_id = s.id
LEFT JOIN ip_hour AS ih ON ih.tenant_id = s.tenant_id AND ih.signin_id = s.id
