-- Schema version 16: baselines per tenant, learned from the tenant's own recent tags.
--
-- With `baseline_days` set (transforms/thresholds.toml), each tenant gets its own fatigue and recurrence
-- thresholds: one more than the upper fence of what its users usually do (sql/baselines/learn.sql),
-- never below the value set. Tagging reads them from here; they are learned again every
-- `baseline_refresh_days` days, or when the settings they came from change.
CREATE TABLE tenant_baselines (
    tenant_id       VARCHAR NOT NULL,
    setting         VARCHAR NOT NULL,     -- fatigue_min_attempts or recurring_min_days
    value           INTEGER NOT NULL,     -- what tagging uses for the tenant
    floor           INTEGER NOT NULL,     -- the value set (the default, a preset or an override)
    observed        DOUBLE,               -- the upper fence seen (NULL: nothing to learn from)
    sample          INTEGER NOT NULL,     -- user-windows or users it was seen over
    learned_from    VARCHAR NOT NULL,     -- the baseline settings it was learned with (JSON)
    learned_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, setting)
);

-- A tenant's value of a setting from [{k: tenant id, v: value}] (Thresholds.by_tenant), else `otherwise`.
CREATE MACRO tenant_value(by_tenant, tenant, otherwise) AS
    coalesce(map_from_entries(by_tenant::STRUCT(k VARCHAR, v INTEGER)[])[tenant], otherwise);

-- The upper fence of a column's usual values: its median plus `sigmas` robust standard deviations (the
-- median absolute deviation scaled to estimate one).
CREATE MACRO upper_fence(x, sigmas) AS median(x) + sigmas * 1.4826 * mad(x);
