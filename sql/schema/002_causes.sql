-- Schema version 2: what the cause engine writes.

-- One row per 500121 sign-in: its causes, with evidence and the fix.
CREATE TABLE cause_tags (
    signin_id                   VARCHAR PRIMARY KEY,
    correlation_id              VARCHAR,
    user_key                    VARCHAR NOT NULL,
    user_principal_name         VARCHAR,
    created_at                  TIMESTAMPTZ NOT NULL,
    error_code                  INTEGER NOT NULL,
    primary_cause               VARCHAR NOT NULL,
    causes                      VARCHAR[] NOT NULL,   -- every cause that applies, in priority order
    confidence                  DOUBLE NOT NULL,      -- of the primary cause, 0-1
    evidence                    JSON NOT NULL,        -- {cause id: {field: value, ...}} for every cause
    fix                         VARCHAR NOT NULL,     -- the primary cause's fix
    policies                    VARCHAR[],            -- CA policies whose MFA demand failed (result failure)
    report_only_policies        VARCHAR[],            -- report-only policies that would have failed
    requirement_providers       VARCHAR[],            -- what demanded MFA (per-user MFA, CA, risk policy, ...)
    mfa_method                  VARCHAR,
    mfa_result                  VARCHAR,              -- the normalised result phrase
    hours_since_last_success    DOUBLE,
    success_within_hour         BOOLEAN NOT NULL,
    tagged_at                   TIMESTAMPTZ NOT NULL
);

-- Findings about users over time: recurring, privileged_lockout, fatigue_then_success.
CREATE TABLE user_findings (
    user_key                VARCHAR NOT NULL,
    user_principal_name     VARCHAR,
    finding                 VARCHAR NOT NULL,
    first_at                TIMESTAMPTZ NOT NULL,
    last_at                 TIMESTAMPTZ NOT NULL,
    failures                INTEGER NOT NULL,       -- 500121 sign-ins behind the finding
    failure_days            INTEGER NOT NULL,
    dominant_cause          VARCHAR,
    detail                  VARCHAR NOT NULL,
    PRIMARY KEY (user_key, finding)
);

-- Per Conditional Access policy and UTC day: the MFA failures it demanded.
CREATE TABLE policy_daily (
    day                     DATE NOT NULL,
    policy                  VARCHAR NOT NULL,
    report_only             BOOLEAN NOT NULL,
    failures                INTEGER NOT NULL,       -- 500121 attempts (distinct correlation ids)
    users                   INTEGER NOT NULL,
    top_causes              VARCHAR[] NOT NULL,     -- most frequent primary causes, most frequent first
    PRIMARY KEY (day, policy, report_only)
);

-- How far tagging has got: sign-ins loaded after `loaded_until` have not been tagged yet.
CREATE TABLE tag_state (
    id                      INTEGER PRIMARY KEY,
    loaded_until            TIMESTAMPTZ,
    thresholds              VARCHAR NOT NULL,       -- the settings the tags were made with (JSON)
    tagged_at               TIMESTAMPTZ NOT NULL
);
