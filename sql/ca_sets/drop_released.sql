-- Drop the policy lists (ca_policy_sets; sql/schema/008_ca_policy_sets.sql) that no stored or displaced
-- sign-in uses any more, among those in temp table `released_ca_sets` (ca_set): the lists of the
-- sign-ins the script before this one deleted or replaced. So the store holds exactly the lists it uses,
-- whatever order its data came in.

DELETE FROM ca_policy_sets
WHERE ca_set IN (SELECT ca_set FROM released_ca_sets)
  AND ca_set NOT IN (SELECT ca_set FROM signins WHERE ca_set IN (SELECT ca_set FROM released_ca_sets))
  AND ca_set NOT IN (SELECT ca_set FROM displaced_signins WHERE ca_set IN (SELECT ca_set FROM released_ca_sets));
