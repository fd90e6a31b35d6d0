-- Schema version 1: the raw layer, the normalised sign-ins with their child tables,
-- quarantine and the ingest log. Applied once by signins.store.database.migrations.

-- One row per distinct input file (by content hash). The original bytes live in the blob store
-- beside the database (compressed, content-addressed), so any record can be replayed exactly.
CREATE TABLE raw_files (
    file_sha256     VARCHAR PRIMARY KEY,
    first_path      VARCHAR NOT NULL,
    size_bytes      BIGINT NOT NULL,
    blob_path       VARCHAR NOT NULL,      -- relative to the blob store root
    format          VARCHAR NOT NULL,      -- detected format, e.g. graph-page, diag-ndjson, la-csv
    encoding        VARCHAR NOT NULL,      -- utf-8, utf-8-sig, utf-16-le, ... (+gzip)
    first_seen_at   TIMESTAMPTZ NOT NULL
);

-- Child tables carry no index: the merge replaces a sign-in's children together with the sign-in,
-- and tests check that (signin_id, position) stays unique. Indexes would slow every bulk load.

-- One row per record found in a file: where it is (line, byte offset/length in the decoded text,
-- or a JSON pointer for records inside a document) and which sign-in it became.
CREATE TABLE raw_records (
    record_key      VARCHAR PRIMARY KEY,   -- file_sha256 || ':' || locator
    file_sha256     VARCHAR NOT NULL,
    locator         VARCHAR NOT NULL,      -- 'line:12', '/value/3', 'row:7'
    line            INTEGER,               -- first line of the record in the decoded text
    byte_offset     BIGINT,                -- offset of the record in the decoded UTF-8 text (lines only)
    byte_length     BIGINT,
    format          VARCHAR NOT NULL,
    event_type      VARCHAR,
    tenant_id       VARCHAR,
    signin_id       VARCHAR,
    created_at      TIMESTAMPTZ,
    completeness    INTEGER,
    ingest_id       VARCHAR NOT NULL,
    ingested_at     TIMESTAMPTZ NOT NULL
);

-- The normalised sign-in: one row per sign-in id, the most complete version seen.
CREATE TABLE signins (
    id                          VARCHAR PRIMARY KEY,
    created_at                  TIMESTAMPTZ NOT NULL,
    correlation_id              VARCHAR,
    original_request_id         VARCHAR,
    session_id                  VARCHAR,
    unique_token_identifier     VARCHAR,
    event_type                  VARCHAR NOT NULL,  -- interactiveUser, nonInteractiveUser, servicePrincipal, managedIdentity, adfs
    is_interactive              BOOLEAN,
    tenant_id                   VARCHAR,
    home_tenant_id              VARCHAR,
    resource_tenant_id          VARCHAR,
    user_id                     VARCHAR,
    user_principal_name         VARCHAR,
    user_display_name           VARCHAR,
    user_type                   VARCHAR,
    app_id                      VARCHAR,
    app_display_name            VARCHAR,
    resource_id                 VARCHAR,
    resource_display_name       VARCHAR,
    service_principal_id        VARCHAR,
    service_principal_name      VARCHAR,
    ip_address                  VARCHAR,
    autonomous_system_number    INTEGER,
    client_app_used             VARCHAR,
    user_agent                  VARCHAR,
    error_code                  INTEGER,
    failure_reason              VARCHAR,
    additional_details          VARCHAR,
    authentication_requirement  VARCHAR,
    requirement_providers       VARCHAR[],
    requirement_details         VARCHAR[],
    authentication_methods_used VARCHAR[],
    authentication_protocol     VARCHAR,
    incoming_token_type         VARCHAR,
    token_issuer_type           VARCHAR,
    token_issuer_name           VARCHAR,
    cross_tenant_access_type    VARCHAR,
    mfa_auth_method             VARCHAR,
    mfa_auth_detail             VARCHAR,
    device_id                   VARCHAR,
    device_display_name         VARCHAR,
    device_operating_system     VARCHAR,
    device_browser              VARCHAR,
    device_browser_id           VARCHAR,
    device_is_compliant         BOOLEAN,
    device_is_managed           BOOLEAN,
    device_trust_type           VARCHAR,
    city                        VARCHAR,
    state                       VARCHAR,
    country_or_region           VARCHAR,
    latitude                    DOUBLE,
    longitude                   DOUBLE,
    network_types               VARCHAR[],
    network_names               VARCHAR[],
    risk_detail                 VARCHAR,
    risk_level_aggregated       VARCHAR,
    risk_level_during_signin    VARCHAR,
    risk_state                  VARCHAR,
    risk_event_types            VARCHAR[],
    conditional_access_status   VARCHAR,
    flagged_for_review          BOOLEAN,
    processing_time_ms          INTEGER,
    source_format               VARCHAR NOT NULL,
    record_key                  VARCHAR NOT NULL,  -- the raw record this version came from
    completeness                INTEGER NOT NULL,
    loaded_at                   TIMESTAMPTZ NOT NULL
);

-- authenticationDetails[]: the steps of the sign-in (password, MFA, ...).
CREATE TABLE signin_auth_steps (
    signin_id           VARCHAR NOT NULL,         -- one row per step; (signin_id, step_no) is unique
    step_no             INTEGER NOT NULL,
    step_at             TIMESTAMPTZ,
    method              VARCHAR,
    method_detail       VARCHAR,
    requirement         VARCHAR,
    result_detail       VARCHAR,
    succeeded           BOOLEAN,
    status_sequence     BIGINT,
    request_sequence    BIGINT
);

-- appliedConditionalAccessPolicies[]. conditions_satisfied / conditions_not_satisfied hold Graph's
-- conditionalAccessConditions flags as an integer whatever the source spelled: Graph beta writes
-- "application,users", Azure Monitor and Log Analytics write 3. ca_condition_flags names the bits and
-- ca_condition_names(flags) lists them, e.g. ca_condition_names(11) = [application, users, location].
CREATE TABLE signin_ca_policies (
    signin_id                   VARCHAR NOT NULL,
    policy_no                   INTEGER NOT NULL,
    policy_id                   VARCHAR,
    display_name                VARCHAR,
    result                      VARCHAR,
    enforced_grant_controls     VARCHAR[],
    enforced_session_controls   VARCHAR[],
    conditions_satisfied        INTEGER,
    conditions_not_satisfied    INTEGER
);

CREATE TABLE ca_condition_flags (flag INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE);
INSERT INTO ca_condition_flags VALUES
    (1, 'application'), (2, 'users'), (4, 'devicePlatform'), (8, 'location'), (16, 'clientType'),
    (32, 'signInRisk'), (64, 'userRisk'), (128, 'time'), (256, 'deviceState'), (512, 'client'),
    (1024, 'ipAddressSeenByAzureAD'), (2048, 'ipAddressSeenByResourceProvider'), (4096, 'unknownFutureValue'),
    (8192, 'servicePrincipals'), (16384, 'servicePrincipalRisk'), (32768, 'authenticationFlows'),
    (65536, 'insiderRisk');

CREATE MACRO ca_condition_names(flags) AS (
    SELECT list(name ORDER BY flag) FROM ca_condition_flags WHERE flags & flag <> 0
);

-- authenticationAppPolicyEvaluationDetails[]: Authenticator features (number matching, ...) and their outcome.
CREATE TABLE signin_app_policy_evaluations (
    signin_id                   VARCHAR NOT NULL,
    evaluation_no               INTEGER NOT NULL,
    policy_name                 VARCHAR,
    status                      VARCHAR,
    admin_configuration         VARCHAR,
    authentication_evaluation   VARCHAR
);

-- authenticationAppDeviceDetails: the Authenticator app that answered (one per sign-in).
CREATE TABLE signin_app_device_details (
    signin_id           VARCHAR PRIMARY KEY,
    app_version         VARCHAR,
    client_app          VARCHAR,
    device_id           VARCHAR,
    operating_system    VARCHAR
);

-- Records that could not become a sign-in, with where they were and why.
CREATE TABLE quarantine (
    file_sha256     VARCHAR NOT NULL,
    locator         VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    line            INTEGER,
    reason          VARCHAR NOT NULL,
    raw_text        VARCHAR,               -- the record's text, cut at 64 KiB (the blob keeps all of it)
    quarantined_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (file_sha256, locator)
);

-- One row per file per ingest run.
CREATE TABLE ingest_log (
    ingest_id       VARCHAR NOT NULL,
    file_sha256     VARCHAR,
    path            VARCHAR NOT NULL,
    format          VARCHAR,
    records         BIGINT NOT NULL,       -- records found in the file
    new_signins     BIGINT NOT NULL,       -- sign-in ids the store did not have
    updated_signins BIGINT NOT NULL,       -- sign-ins replaced by a more complete version
    quarantined     BIGINT NOT NULL,
    already_ingested BOOLEAN NOT NULL,
    notes           VARCHAR[],             -- tolerated defects: BOM, trailing comma, duplicate keys, ...
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL
);
