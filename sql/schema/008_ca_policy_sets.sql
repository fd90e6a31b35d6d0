-- Schema version 8: each distinct list of Conditional Access policy results is stored once.
--
-- A sign-in lists the result of every policy of the tenant (~20 in a real one), and most sign-ins of a
-- tenant repeat one of a few hundred lists: 100,000 sign-ins of the benchmark hold 70 distinct ones.
-- Writing ~20 policy rows per sign-in cost a quarter of the loader's time. Now a sign-in names its list
-- (`signins.ca_set`, NULL when it lists no policy), and `ca_policy_sets` holds each list once, a row per
-- policy. `signin_ca_policies` is a view with the columns and rows of the table it replaces.
-- The key comes from the normalised list (ca_set_key), so a list has one key whatever the source
-- spelled and whichever store it was loaded into. A list stays as long as a stored or displaced
-- sign-in uses it (sql/ca_sets/drop_released.sql).

-- The key of a normalised policy list (a list of ca_policy()): the XOR of the MD5 of each policy as
-- JSON with its position. An aggregate of fixed size per sign-in, so the stored policy rows below are
-- keyed in bounded memory (an ordered list per sign-in held every list in memory at once).
CREATE MACRO ca_policy_hash(position, policy) AS md5_number(position::VARCHAR || ':' || to_json(policy));
CREATE MACRO ca_set_uuid(hash) AS lpad(to_hex(hash), 32, '0')::UUID;
CREATE MACRO ca_set_key(policies) AS
    ca_set_uuid(list_aggregate(list_transform(policies, lambda policy, position: ca_policy_hash(position, policy)),
                               'bit_xor'));

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

-- The lists of the stored and the displaced sign-ins, keyed; then each list's rows, from one sign-in using it.
CREATE TEMP VIEW policy_rows AS
SELECT NULL::VARCHAR AS run_name, * FROM signin_ca_policies
UNION ALL BY NAME
SELECT * FROM displaced_ca_policies;

CREATE TEMP TABLE keyed_lists AS
SELECT run_name, signin_id,
       ca_set_uuid(bit_xor(ca_policy_hash(policy_no, ca_policy(policy_id, display_name, result,
           enforced_grant_controls, enforced_session_controls, conditions_satisfied, conditions_not_satisfied))))
           AS ca_set
FROM policy_rows GROUP BY run_name, signin_id;

UPDATE signins AS s SET ca_set = k.ca_set FROM keyed_lists AS k WHERE k.run_name IS NULL AND k.signin_id = s.id;
UPDATE displaced_signins AS s SET ca_set = k.ca_set FROM keyed_lists AS k
WHERE k.run_name = s.run_name AND k.signin_id = s.id;

INSERT INTO ca_policy_sets
SELECT r.ca_set, p.policy_no, p.policy_id, p.display_name, p.result, p.enforced_grant_controls,
       p.enforced_session_controls, p.conditions_satisfied, p.conditions_not_satisfied
FROM policy_rows AS p
JOIN (SELECT ca_set, arg_min({'run_name': run_name, 'signin_id': signin_id}, signin_id) AS one FROM keyed_lists
      GROUP BY ca_set) AS r
  ON p.signin_id = r.one.signin_id AND p.run_name IS NOT DISTINCT FROM r.one.run_name;

DROP TABLE keyed_lists;
DROP VIEW policy_rows;
DROP TABLE signin_ca_policies;
DROP TABLE displaced_ca_policies;

-- The policy rows of each sign-in, as the table this view replaces had them.
CREATE VIEW signin_ca_policies AS
SELECT s.id AS signin_id, p.policy_no, p.policy_id, p.display_name, p.result, p.enforced_grant_controls,
       p.enforced_session_controls, p.conditions_satisfied, p.conditions_not_satisfied,
       s.created_at AS signin_created_at
FROM signins AS s JOIN ca_policy_sets AS p ON p.ca_set = s.ca_set;
