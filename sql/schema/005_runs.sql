-- Schema version 5: runs that land files in the store itself (flows/steps.py, signins/runs/landing.py).

-- A run lands its files batch by batch in the store, then the validation gates check what it added.
-- Until they pass, the run can be undone: when they fail, and (by the next writer) when it died first.
CREATE TABLE runs (
    run_name    VARCHAR PRIMARY KEY,
    state       VARCHAR NOT NULL,      -- landing, kept (its data passed the gates) or undone
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
);

-- The files a run read: its raw records and ingest log rows carry their ingest id.
CREATE TABLE run_ingests (
    run_name     VARCHAR NOT NULL,
    ingest_id    VARCHAR NOT NULL,
    file_sha256  VARCHAR NOT NULL
);

-- The sign-ins a landing run replaced with a more complete version, as they were before it, with their
-- child rows: put back if the run is undone, or if the gates quarantine the version that replaced them.
-- Dropped once the run is kept. Each mirrors its table after the run's name: a migration that changes
-- one of those tables changes its mirror too.
CREATE TABLE displaced_signins AS SELECT ''::VARCHAR AS run_name, * FROM signins LIMIT 0;
CREATE TABLE displaced_auth_steps AS SELECT ''::VARCHAR AS run_name, * FROM signin_auth_steps LIMIT 0;
CREATE TABLE displaced_ca_policies AS SELECT ''::VARCHAR AS run_name, * FROM signin_ca_policies LIMIT 0;
CREATE TABLE displaced_app_policy_evaluations AS
SELECT ''::VARCHAR AS run_name, * FROM signin_app_policy_evaluations LIMIT 0;
CREATE TABLE displaced_app_device_details AS
SELECT ''::VARCHAR AS run_name, * FROM signin_app_device_details LIMIT 0;
