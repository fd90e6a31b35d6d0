-- The Conditional Access workbench and the failure rates: how many MFA prompts the window's user
-- sign-ins showed and how many of them failed with 500121, per policy, method, platform, browser and app.
-- A prompt is a sign-in with an MFA prompt method (signins.mfa_challenge_method) or a 500121.

-- One scan of the window: prompts and 500121 sign-ins per grouping. The policy grouping (tenant, policy
-- list, method, platform) is small; the pages' other dimensions and each user's own rate come from it too.
CREATE OR REPLACE TEMP TABLE report_prompt_counts AS
SELECT CASE WHEN NOT grouping(ca_set) THEN 'policy_list' WHEN NOT grouping(user_key) THEN 'user'
            WHEN NOT grouping(method) THEN 'method' WHEN NOT grouping(platform) THEN 'platform'
            WHEN NOT grouping(browser) THEN 'browser' WHEN NOT grouping(app) THEN 'app'
            ELSE 'client_app' END AS dimension,
       tenant_id, ca_set, user_key, method, platform, browser, app, client_app,
       count(*) AS prompts, count(*) FILTER (error_code = 500121) AS failures, max(created_at) AS last_at
FROM (
    SELECT tenant_id, created_at, error_code, ca_set, coalesce(user_id, lower(user_principal_name)) AS user_key,
           coalesce(mfa_challenge_method, 'unknown') AS method, os_family(device_operating_system) AS platform,
           browser_family(device_browser) AS browser, coalesce(app_display_name, 'unknown') AS app,
           coalesce(client_app_used, 'unknown') AS client_app
    FROM signins
    WHERE created_at >= $since AND created_at < $until AND event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND (mfa_challenge_method IS NOT NULL OR error_code = 500121)
)
GROUP BY GROUPING SETS ((tenant_id, ca_set, method, platform), (tenant_id, user_key), (method), (platform),
                        (browser), (app), (client_app));

-- The policies of the window's policy lists, each keyed by its tenant and id (its display name when a
-- source gave no id): renamed policies stay one, two tenants' policies of one name stay two.
CREATE OR REPLACE TEMP TABLE report_list_policies AS
WITH lists AS (
    SELECT tenant_id, ca_set, max(last_at) AS last_at FROM report_prompt_counts
    WHERE dimension = 'policy_list' AND ca_set IS NOT NULL GROUP BY ALL
    UNION
    SELECT tenant_id, ca_set, max(created_at) FROM signins
    WHERE created_at >= $since AND created_at < $until AND event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND ca_set IN (SELECT ca_set FROM ca_policy_sets WHERE result IN ('reportOnlyFailure', 'reportOnlyInterrupted'))
    GROUP BY ALL
)
SELECT l.tenant_id, l.ca_set, max(l.last_at) AS last_at, p.policy_no,
       coalesce(p.policy_id, 'name:' || p.display_name) AS policy_key, p.policy_id, p.display_name, p.result,
       p.result LIKE 'reportOnly%' AS report_only, coalesce(p.enforced_grant_controls, []) AS grants,
       p.authentication_strength, p.conditions_satisfied,
       list_contains(list_transform(coalesce(p.enforced_grant_controls, []), lambda g: lower(g)), 'mfa')
           OR p.authentication_strength IS NOT NULL AS demands_mfa,
       list_contains(list_transform(coalesce(p.enforced_grant_controls, []), lambda g: lower(g)), 'block') AS blocks,
       p.result IN ('failure', 'reportOnlyFailure', 'reportOnlyInterrupted') AS failed,
       p.result IN ('success', 'failure', 'reportOnlySuccess', 'reportOnlyFailure', 'reportOnlyInterrupted') AS applied
FROM lists l JOIN ca_policy_sets p USING (ca_set)
GROUP BY ALL;

-- Per policy, method and platform: the prompts it demanded (it applied and asks for MFA) and the 500121
-- sign-ins among them where it was a failing policy (the MFA it demanded failed).
CREATE OR REPLACE TEMP TABLE report_policy_rates AS
SELECT p.tenant_id, p.policy_key, p.report_only, c.method, c.platform,
       sum(c.prompts)::BIGINT AS prompts, sum(c.failures) FILTER (p.failed)::BIGINT AS failures
FROM report_list_policies p
JOIN report_prompt_counts c ON c.dimension = 'policy_list' AND c.tenant_id = p.tenant_id AND c.ca_set = p.ca_set
WHERE p.applied AND (p.demands_mfa OR p.failed)
GROUP BY ALL;

-- The window's 500121 sign-ins per failing policy, for who and why.
CREATE OR REPLACE TEMP TABLE report_policy_failures AS
SELECT p.tenant_id, p.policy_key, p.report_only, f.signin_id, f.attempt, f.user_key, f.user, f.day, f.created_at,
       f.primary_cause, f.platform, f.country, p.conditions_satisfied
FROM report_failures f JOIN report_list_policies p ON p.tenant_id = f.tenant_id AND p.ca_set = f.ca_set
WHERE p.failed;

-- One row per policy: its label (the newest display name) and former names, grants and authentication
-- strength, the prompts it demanded, the 500121 it caused and their rate, users, recurring users (the
-- engine's definition), the dominant cause and the conditions that matched.
CREATE OR REPLACE TEMP TABLE report_policies AS
WITH described AS (
    SELECT tenant_id, policy_key, report_only, any_value(policy_id) AS policy_id,
           arg_max(display_name, last_at) AS label, list(DISTINCT display_name ORDER BY display_name) AS names,
           list(DISTINCT g ORDER BY g) FILTER (g IS NOT NULL) AS grants,
           arg_max(authentication_strength, last_at) AS authentication_strength,
           bool_or(demands_mfa) AS demands_mfa, bool_or(blocks) AS blocks
    FROM (SELECT *, unnest(CASE WHEN len(grants) = 0 THEN [NULL] ELSE grants END) AS g FROM report_list_policies)
    GROUP BY ALL
),
rates AS (
    SELECT tenant_id, policy_key, report_only, sum(prompts)::BIGINT AS prompts, coalesce(sum(failures), 0)::BIGINT AS failures
    FROM report_policy_rates GROUP BY ALL
),
people AS (
    SELECT f.tenant_id, f.policy_key, f.report_only, count(DISTINCT f.attempt) AS attempts,
           count(DISTINCT f.user_key) AS users,
           count(DISTINCT f.user_key) FILTER (r.recurring_since IS NOT NULL) AS recurring_users,
           mode(f.primary_cause ORDER BY f.primary_cause) AS dominant_cause
    FROM report_policy_failures f LEFT JOIN report_recurrence r USING (user_key)
    GROUP BY ALL
),
conditions AS (  -- spelled out from the few distinct condition masks, not from every failure
    SELECT tenant_id, policy_key, report_only, list(DISTINCT c ORDER BY c) AS conditions
    FROM (SELECT DISTINCT tenant_id, policy_key, report_only, conditions_satisfied FROM report_policy_failures
          WHERE conditions_satisfied > 0), unnest(ca_condition_names(conditions_satisfied)) AS names(c)
    GROUP BY ALL
)
SELECT d.*, coalesce(r.prompts, 0) AS prompts, coalesce(r.failures, 0) AS failures,
       round(100.0 * r.failures / nullif(r.prompts, 0), 1) AS failure_rate,
       coalesce(p.attempts, 0) AS attempts, coalesce(p.users, 0) AS users,
       coalesce(p.recurring_users, 0) AS recurring_users, p.dominant_cause, coalesce(c.conditions, []) AS conditions
FROM described d LEFT JOIN rates r USING (tenant_id, policy_key, report_only)
LEFT JOIN people p USING (tenant_id, policy_key, report_only)
LEFT JOIN conditions c USING (tenant_id, policy_key, report_only)
WHERE d.demands_mfa OR p.attempts > 0 OR d.report_only;

-- What a report-only policy would do if enabled: the window's sign-ins that succeeded today in which it
-- reported a failure or an interrupt (it would have blocked or challenged them), per user and app; the
-- expected failures if it demanded MFA, at each user's own 500121 rate (the tenant's when the user had no
-- prompt in the window).
CREATE OR REPLACE TEMP TABLE report_whatif AS
WITH hit AS (
    SELECT s.tenant_id, p.policy_key, coalesce(s.user_id, lower(s.user_principal_name)) AS user_key,
           any_value(coalesce(s.user_principal_name, s.user_id)) AS user, coalesce(s.app_display_name, 'unknown') AS app,
           count(*) AS signins, count(*) FILTER (p.result = 'reportOnlyInterrupted') AS interrupted,
           bool_or(p.blocks) AS blocks
    FROM signins s JOIN report_list_policies p ON p.tenant_id = s.tenant_id AND p.ca_set = s.ca_set
    WHERE s.created_at >= $since AND s.created_at < $until AND s.event_type IN ('interactiveUser', 'nonInteractiveUser')
      AND s.error_code = 0 AND p.result IN ('reportOnlyFailure', 'reportOnlyInterrupted')
    GROUP BY s.tenant_id, p.policy_key, user_key, app
),
tenant_rate AS (
    SELECT tenant_id, sum(failures) / sum(prompts) AS rate FROM report_prompt_counts
    WHERE dimension = 'policy_list' GROUP BY tenant_id
),
user_rate AS (
    SELECT tenant_id, user_key, failures / prompts AS rate FROM report_prompt_counts WHERE dimension = 'user'
)
SELECT h.*, coalesce(u.rate, t.rate, 0) AS user_rate, u.rate IS NULL AS tenant_rate_used,
       CASE WHEN h.blocks THEN 0 ELSE h.signins * coalesce(u.rate, t.rate, 0) END AS expected_failures
FROM hit h LEFT JOIN user_rate u USING (tenant_id, user_key) LEFT JOIN tenant_rate t USING (tenant_id);
