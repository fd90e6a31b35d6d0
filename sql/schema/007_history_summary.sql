-- Schema version 7: tagging's summary of the users' older history.
--
-- Features of a sign-in read a few of its user's older sign-ins however old: the first success with each
-- country, city, device and IP address, the last success, the last sign-in with coordinates
-- (sql/causes/07_history_rows.sql). Finding them meant aggregating the user's whole history every night.
-- The summary keeps those aggregates for the sign-ins before `covers_until`, by user and combination of
-- those values; each tagging run adds the days it has moved past, and builds it anew when a sign-in before
-- `covers_until` was added, replaced or removed since (sql/causes/06_history_summary.sql).
-- Each aggregate is the sign-in's time and id: ordered by time, then id.

CREATE TABLE history_summary (
    user_key                    VARCHAR NOT NULL,   -- as sql/causes/05_pending_users.sql
    country_or_region           VARCHAR,
    city                        VARCHAR,
    device_id                   VARCHAR,
    device_operating_system     VARCHAR,
    device_browser              VARCHAR,
    ip_address                  VARCHAR,
    first_success               STRUCT("at" TIMESTAMPTZ, id VARCHAR),
    last_success                STRUCT("at" TIMESTAMPTZ, id VARCHAR),
    last_located                STRUCT("at" TIMESTAMPTZ, id VARCHAR)   -- the last with coordinates
);

CREATE TABLE history_summary_state (
    id                          INTEGER PRIMARY KEY,
    covers_until                TIMESTAMPTZ NOT NULL,   -- the summary holds the sign-ins before this time
    signins                     BIGINT NOT NULL         -- how many there were when it was made
);
