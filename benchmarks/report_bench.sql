-- One synthetic day of sign-ins for benchmarks/report_bench.py (the store's schema, written directly):
-- getvariable('per_day') sign-ins of getvariable('users') users on day getvariable('day') after
-- getvariable('start'), 2 % of them 500121 tagged with the sample tenant's cause mix (table `mix`:
-- cause, slot, slots), with their CA policy lists.

-- Every sign-in meets the MFA policy and a device policy that does not apply; one in ten a report-only
-- policy: three policy lists (sql/schema/008_ca_policy_sets.sql).
CREATE OR REPLACE TEMP TABLE bench_ca_lists AS
WITH policies AS (
    SELECT kind, no, ca_policy('P' || no, name,
                               CASE WHEN no = 2 THEN 'notApplied'
                                    WHEN no = 3 THEN CASE WHEN kind = 'failure' THEN 'reportOnlyFailure' ELSE 'reportOnlySuccess' END
                                    WHEN kind = 'failure' THEN 'failure' ELSE 'success' END,
                               grants, NULL, conditions, 0, NULL) AS policy
    FROM (VALUES ('failure'), ('report_only'), ('plain')) k(kind)
    JOIN (VALUES (1, 'CA001: Require MFA for all users', ['Mfa'], 3),
                 (2, 'CA004: Require compliant device for admins', ['RequireCompliantDevice'], 1),
                 (3, 'CA011: Require phishing-resistant MFA (report-only)', ['Mfa'], 11)) p(no, name, grants, conditions)
      ON p.no <> 3 OR k.kind <> 'plain'
)
SELECT kind, ca_set_key(list(policy ORDER BY no)) AS ca_set, list(policy ORDER BY no) AS policies
FROM policies GROUP BY kind;

INSERT INTO ca_policy_sets
SELECT ca_set, policy_no, p.*
FROM (SELECT ca_set, unnest(policies) AS p, generate_subscripts(policies, 1) AS policy_no FROM bench_ca_lists)
ON CONFLICT DO NOTHING;

INSERT INTO signins (id, created_at, correlation_id, event_type, is_interactive, tenant_id, user_id,
                     user_principal_name, app_display_name, ip_address, client_app_used, user_agent, error_code,
                     device_display_name, device_operating_system, device_browser, country_or_region,
                     risk_level_during_signin, risk_state, risk_event_types, conditional_access_status,
                     source_format, record_key, completeness, loaded_at, ca_set, mfa_challenge_method)
WITH n AS (
    SELECT i, (hash(i) % 1000003)::BIGINT AS h, (hash(i) % getvariable('users'))::BIGINT AS u
    FROM range(getvariable('day') * getvariable('per_day'), (getvariable('day') + 1) * getvariable('per_day')) r(i)
)
SELECT 'S' || i, getvariable('start') + to_days(getvariable('day')) + to_seconds((h % 86400)::BIGINT), 'C' || i,
       CASE WHEN i % 3 = 0 THEN 'interactiveUser' ELSE 'nonInteractiveUser' END, i % 3 = 0, 'bench',
       'U' || u, 'user' || u || '@bench.example',
       ['Microsoft Teams', 'Office 365 Exchange Online', 'OfficeHome', 'Azure Portal', 'OneDrive SyncEngine'][h % 5 + 1],
       '10.' || (u // 65536) % 256 || '.' || (u // 256) % 256 || '.' || u % 256,
       ['Browser', 'Mobile Apps and Desktop clients'][h % 2 + 1],
       ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/125.0', 'Windows-AzureAD-Authentication-Provider/1.0',
        'Outlook-iOS/2.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1'][h % 4 + 1],
       CASE WHEN i % 50 = 0 THEN 500121 WHEN i % 50 = 1 THEN 50074 WHEN i % 97 = 2 THEN 50126 ELSE 0 END,
       'DEV-' || u, ['Windows 10', 'MacOs', 'iOS 17.5', 'Android 14'][u % 4 + 1], ['Edge 126.0', 'Chrome 125.0', 'Safari 17.5'][h % 3 + 1],
       ['US', 'GB', 'DE', 'NL', 'FR', 'IN', 'NO', 'SE', 'BR', 'JP'][u % 10 + 1],
       CASE WHEN i % 1000 = 5 THEN 'medium' ELSE 'none' END, CASE WHEN i % 1000 = 5 THEN 'atRisk' ELSE 'none' END,
       CASE WHEN i % 1000 = 5 THEN ['unfamiliarFeatures'] ELSE [] END,
       CASE WHEN i % 50 = 0 THEN 'failure' ELSE 'success' END, 'bench', 'bench:' || i, 1, now(), l.ca_set,
       CASE WHEN i % 50 = 0 OR i % 10 = 3  -- about one sign-in in eight shows an MFA prompt
            THEN ['Mobile app notification', 'Text message', 'OATH verification code'][h % 3 + 1] END
FROM n JOIN bench_ca_lists l
  ON l.kind = CASE WHEN i % 50 = 0 THEN 'failure' WHEN i % 10 = 0 THEN 'report_only' ELSE 'plain' END;

INSERT INTO cause_tags
SELECT s.id, s.correlation_id, s.user_id, s.user_principal_name, s.created_at, 500121, m.cause, [m.cause], 0.8,
       CASE WHEN m.cause = 'new_location' THEN json_object('new_location', json_object('impossible_travel', hash(s.id) % 4 = 0))
            ELSE '{}' END::JSON,
       'the fix of ' || m.cause,
       ['CA001: Require MFA for all users'],
       CASE WHEN hash(s.id) % 10 = 0 THEN ['CA011: Require phishing-resistant MFA (report-only)'] ELSE [] END,
       ['multiConditionalAccess'], ['Mobile app notification', 'OATH verification code', 'Text message'][(hash(s.id) % 3)::BIGINT + 1],
       'mfa denied', 30.0, hash(s.id) % 7 = 0, now(), s.tenant_id,
       CASE WHEN m.cause IN ('mfa_fatigue', 'fraud_reported') THEN 'hostile'
            WHEN m.cause IN ('risk_block', 'prompt_denied', 'new_location') THEN 'suspicious' ELSE 'benign' END,
       'the verdict of ' || m.cause,
       (hash(s.id) % 3)::INTEGER, (hash(s.id) % 2)::INTEGER, 1, (hash(s.id) % 4)::INTEGER, 0, hash(s.id) % 20 = 0
FROM signins s JOIN mix m ON m.slot = hash(s.id) % m.slots
WHERE s.error_code = 500121 AND s.created_at >= getvariable('start') + to_days(getvariable('day'))
  AND s.created_at < getvariable('start') + to_days(getvariable('day') + 1);
