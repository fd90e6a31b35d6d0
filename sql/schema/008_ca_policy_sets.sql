-- Schema version 8: each distinct list of Conditional Access policy results is stored once ([1/7], [6/7]).
--
-- A sign-in lists the result of every policy of the tenant (~20 in a real one), and most sign-ins of a
-- tenant repeat one of a few hundred lists: 100,000 sign-ins of the benchmark hold 70 distinct ones.
-- Writing ~20 policy rows per sign-in cost a quarter of the loader's time. Now a sign-in names its list
-- (`signins.ca_set`, NULL when it lists no policy), and `ca_policy_sets` holds each list once, a row per
-- policy. `signin_ca_policies` is a view with the columns and rows of the table it replaces.
-- The key is the MD5 of the normalised list as JSON (ca_set_key), so a list has one key whatever
-- the source spelled and whichever store it was loaded into. A list stays as long as a stored or
-- displaced sign-in uses it (sql/ca_sets/drop_released.sql).

-- The key of a normalised policy list: a list of ca_policy() in policy order.
CREATE MACRO ca_set_key(policies) AS md5(to_json(policies))::UUID;

-- One policy result, normalised (sql/load/10_stage_macros.sql builds them from the JSON).
CREATE MACRO ca_policy(policy_id, display_name, result, enforced_grant_controls, enforced_session_controls,
                       conditions_satisfied, conditions_not_satisfied) AS
    struct_pack(policy_id := policy_id, display_name := display_name, result := result,
                enforced_grant_controls := enforced_grant_controls,
                enforced_session_controls := enforced_session_controls,
                conditions_satisfied := conditions_satisfied, conditions_not_satisfied := conditions_not_satisfied);

CREATE TABLE ca_policy_sets (
    ca_set                      UUID NOT NULL,
    policy_no                   INTEGER NOT NULL,
    policy_id                   VARCHAR,
    display_name                VARCHAR,
    result                      VARCHAR,
    enforced_grant_controls     VARCHAR[],
    enforced_session_controls   VARCHAR[],
    conditions_satisfied        INTEGER,
    conditions_not_satisfied    INTEGER,
    PRIMARY KEY (ca_set, policy_no)
);

ALTER TABLE signins ADD COLUMN ca_set UUID;
ALTER TABLE displaced_signins ADD COLUMN ca_set UUID;   -- the mirror follows (005_runs.sql)

-- The lists of the stored and the displaced sign-ins, keyed.
CREATE TEMP TABLE keyed_lists AS
WITH lists AS (
    SELECT NULL::VARCHAR AS run_name, signin_id,
           list(ca_policy(policy_id, display_name, result, enforced_grant_controls, enforced_session_controls,
                          conditions_satisfied, conditions_not_satisfied) ORDER BY policy_no) AS policies
    FROM signin_ca_policies GROUP BY signin_id
    UNION ALL
    SELECT run_name, signin_id,
           list(ca_policy(policy_id, display_name, result, enforced_grant_controls, enforced_session_controls,
                          conditions_satisfied, conditions_not_satisfied) ORDER BY policy_no)
    FROM displaced_ca_policies GROUP BY run_name, signin_id
)
SELECT run_name, signin_id, ca_set_key(policies) AS ca_set, policies FROM lists;

UPDATE signins AS s SET ca_set = k.ca_set FROM keyed_lists AS k WHERE k.run_name IS NULL AND k.signin_id = s.id;
UPDATE displaced_signins AS s SET ca_set = k.ca_set FROM keyed_lists AS k
WHERE k.run_name = s.run_name AND k.signin_id = s.id;

INSERT INTO ca_policy_sets
SELECT ca_set, policy_no, p.*
FROM (SELECT ca_set, unnest(any_value(policies)) AS p, generate_subscripts(any_value(policies), 1) AS policy_no
      FROM keyed_lists GROUP BY ca_set);

DROP TABLE keyed_lists;
DROP TABLE signin_ca_policies;
DROP TABLE displaced_ca_policies;

-- The policy rows of each sign-in, as the table this view replaces had them.
CREATE VIEW signin_ca_policies AS
SELECT s.id AS signin_id, p.policy_no, p.policy_id, p.display_name, p.result, p.enforced_grant_controls,
       p.enforced_session_controls, p.conditions_satisfied, p.conditions_not_satisfied,
       s.created_at AS signin_created_at
FROM signins AS s JOIN ca_policy_sets AS p ON p.ca_set = s.ca_set;
