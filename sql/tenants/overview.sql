-- The cross-tenant overview of a store of several tenants: per tenant, over the window every tenant's
-- site shows ($since, $until; $last_day its last day), its user sign-ins and MFA failures (attempts,
-- distinct correlation ids), the users with a hostile finding and the recurring users among the cause
-- engine's findings that reach into the window, and its enforced Conditional Access policies whose MFA
-- failures rose (the window's last 7 days against the 7 before), the most risen first.
WITH tenants AS (
    SELECT tenant_id, count(*) FILTER (created_at >= $since AND created_at < $until) AS signins
    FROM signins WHERE event_type IN ('interactiveUser', 'nonInteractiveUser') GROUP BY tenant_id
),
failures AS (
    SELECT tenant_id, count(DISTINCT coalesce(correlation_id, signin_id)) AS attempts,
           count(DISTINCT user_key) AS users
    FROM cause_tags WHERE created_at >= $since AND created_at < $until GROUP BY tenant_id
),
findings AS (
    SELECT tenant_id, count(DISTINCT user_key) FILTER (verdict = 'hostile') AS hostile_users,
           count(DISTINCT user_key) FILTER (finding = 'recurring') AS recurring_users
    FROM user_findings WHERE last_at >= $since AND first_at < $until GROUP BY tenant_id
),
weeks AS (
    SELECT tenant_id, policy,
           coalesce(sum(failures) FILTER (day > $last_day - 7), 0) AS last_7_days,
           coalesce(sum(failures) FILTER (day <= $last_day - 7), 0) AS previous_7_days
    FROM policy_daily WHERE NOT report_only AND day > $last_day - 14 AND day <= $last_day
    GROUP BY tenant_id, policy
),
rising AS (
    SELECT tenant_id, count(*) AS policies,
           list(policy ORDER BY last_7_days - previous_7_days DESC, policy) AS by_rise
    FROM weeks WHERE last_7_days > previous_7_days GROUP BY tenant_id
)
SELECT t.tenant_id, t.signins, coalesce(f.attempts, 0) AS attempts, coalesce(f.users, 0) AS users,
       coalesce(fi.hostile_users, 0) AS hostile_users, coalesce(fi.recurring_users, 0) AS recurring_users,
       coalesce(r.policies, 0) AS rising_policies, r.by_rise[1] AS most_risen_policy
FROM tenants AS t
LEFT JOIN failures AS f USING (tenant_id)
LEFT JOIN findings AS fi USING (tenant_id)
LEFT JOIN rising AS r USING (tenant_id)
ORDER BY hostile_users DESC, attempts DESC, t.tenant_id
