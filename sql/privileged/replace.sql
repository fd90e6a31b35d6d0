-- A source's privileged accounts of one tenant replace what that source said before (temp table
-- listed_privileged: user_principal_name, roles; parameters $tenant_id, $source).
DELETE FROM privileged_accounts WHERE tenant_id = $tenant_id AND source = $source;

INSERT INTO privileged_accounts
SELECT $tenant_id, lower(user_principal_name) AS upn, list_sort(list_distinct(flatten(list(roles)))), $source, now()
FROM listed_privileged GROUP BY upn
ON CONFLICT DO UPDATE SET roles = list_sort(list_distinct(list_concat(privileged_accounts.roles, excluded.roles))),
                          seen_at = excluded.seen_at;
