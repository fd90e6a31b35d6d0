-- Schema version 13: the privileged accounts of each tenant, kept in the store.
--
-- Where they come from: `graph` (the members of the tenant's directory roles, pulled with
-- RoleManagement.Read.Directory) or `sample` (the bundled sample tenant's file). The settings file's
-- `privileged_accounts` and `signins tag --privileged` still add accounts for one run; these stay, so a
-- later `signins tag --full` finds the same privileged lockouts as the nightly run did.
CREATE TABLE privileged_accounts (
    tenant_id           VARCHAR NOT NULL,
    user_principal_name VARCHAR NOT NULL,      -- lower case
    roles               VARCHAR[] NOT NULL,    -- directory role names
    source              VARCHAR NOT NULL,      -- graph or sample
    seen_at             TIMESTAMPTZ NOT NULL,  -- when the source last listed the account
    PRIMARY KEY (tenant_id, user_principal_name)
);
