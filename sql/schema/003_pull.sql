-- Schema version 3: the state of `signins pull`.

-- One row per tenant and sign-in event type: how far the pull has committed.
-- window_start/window_end: the window the last (or current) run set out to read, cut into slices;
-- committed_until: every slice ending at or before it is in the store (a run that stopped early
-- resumes from here on the same slice grid); max_created_at: the newest sign-in committed.
-- The next run starts at min(committed_until, max_created_at) minus the overlap window.
CREATE TABLE pull_watermarks (
    tenant_id        VARCHAR NOT NULL,
    event_type       VARCHAR NOT NULL,
    window_start     TIMESTAMPTZ NOT NULL,
    window_end       TIMESTAMPTZ NOT NULL,
    committed_until  TIMESTAMPTZ NOT NULL,
    max_created_at   TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, event_type)
);

-- One row per page landed: which request window it answered and what it brought.
CREATE TABLE pull_pages (
    tenant_id        VARCHAR NOT NULL,
    event_type       VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    slice_start      TIMESTAMPTZ NOT NULL,
    slice_end        TIMESTAMPTZ NOT NULL,
    page             INTEGER NOT NULL,
    file_sha256      VARCHAR NOT NULL,
    path             VARCHAR NOT NULL,
    records          INTEGER NOT NULL,
    new_signins      INTEGER NOT NULL,
    quarantined      INTEGER NOT NULL,
    min_created_at   TIMESTAMPTZ,
    max_created_at   TIMESTAMPTZ,
    fetched_at       TIMESTAMPTZ NOT NULL
);
