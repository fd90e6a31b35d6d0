-- Schema version 17: user findings, the per-policy daily counts and the history summary carry their tenant.
--
-- A store can hold several tenants (an MSSP's): a user is a user of one tenant, and two tenants'
-- policies of the same name ("CA001: Require MFA") are two policies. Both tables are rebuilt from
-- cause_tags after every tagging run (sql/causes/20_user_findings.sql, 30_policy_daily.sql), so they are
-- recreated with the tenant in their keys and refilled here with the tenant of their tags (a store that
-- already held several tenants gets its policies apart at its next tagging run, which rebuilds both).

CREATE TABLE user_findings_17 (
    user_key                VARCHAR NOT NULL,
    user_principal_name     VARCHAR,
    finding                 VARCHAR NOT NULL,
    first_at                TIMESTAMPTZ NOT NULL,
    last_at                 TIMESTAMPTZ NOT NULL,
    failures                INTEGER NOT NULL,       -- 500121 sign-ins behind the finding
    failure_days            INTEGER NOT NULL,
    dominant_cause          VARCHAR,
    detail                  VARCHAR NOT NULL,
    attempts                INTEGER,                -- distinct MFA attempts (correlation ids) behind it
    verdict                 VARCHAR,                -- the most serious verdict of those failures
    tenant_id               VARCHAR NOT NULL,
    PRIMARY KEY (tenant_id, user_key, finding)
);
INSERT INTO user_findings_17
SELECT f.*, coalesce((SELECT any_value(t.tenant_id) FROM cause_tags t WHERE t.user_key = f.user_key), '')
FROM user_findings f;
DROP TABLE user_findings;
ALTER TABLE user_findings_17 RENAME TO user_findings;

CREATE TABLE policy_daily_17 (
    day                     DATE NOT NULL,
    policy                  VARCHAR NOT NULL,
    report_only             BOOLEAN NOT NULL,
    failures                INTEGER NOT NULL,       -- 500121 attempts (distinct correlation ids)
    users                   INTEGER NOT NULL,
    top_causes              VARCHAR[] NOT NULL,     -- most frequent primary causes, most frequent first
    tenant_id               VARCHAR NOT NULL,
    PRIMARY KEY (tenant_id, day, policy, report_only)
);
INSERT INTO policy_daily_17
SELECT p.*, coalesce((SELECT any_value(tenant_id) FROM cause_tags), '') FROM policy_daily p;
DROP TABLE policy_daily;
ALTER TABLE policy_daily_17 RENAME TO policy_daily;

-- The summary of the users' older history (sql/schema/007_history_summary.sql) is per tenant and user key
-- too; emptied, it is built anew by the next tagging run (sql/causes/06_history_summary.sql).
DELETE FROM history_summary;
DELETE FROM history_summary_state;
ALTER TABLE history_summary ADD COLUMN tenant_id VARCHAR;
