-- Macros the staging query (load/20_staged_records.sql) uses.

CREATE OR REPLACE TEMP MACRO lower_first(x) AS
    CASE WHEN x IS NULL OR x = '' THEN NULL WHEN x[1] = lower(x[1]) THEN x ELSE lower(x[1]) || x[2:] END;

-- conditionsSatisfied / conditionsNotSatisfied: Graph beta writes "application,users", Azure Monitor and
-- Log Analytics write the flags integer (read here as its text). Both become the integer; "none" is 0.
-- The bit values are those of the ca_condition_flags table (sql/schema/001_store.sql).
CREATE OR REPLACE TEMP MACRO ca_flags(x) AS
    CASE
        WHEN x IS NULL THEN NULL
        WHEN regexp_full_match(x, '[0-9]+') THEN CAST(x AS INTEGER)
        ELSE coalesce(list_sum(list_transform(string_split(replace(x, ' ', ''), ','), lambda c:
                CASE c
                    WHEN 'application' THEN 1
                    WHEN 'users' THEN 2
                    WHEN 'devicePlatform' THEN 4
                    WHEN 'location' THEN 8
                    WHEN 'clientType' THEN 16
                    WHEN 'signInRisk' THEN 32
                    WHEN 'userRisk' THEN 64
                    WHEN 'time' THEN 128
                    WHEN 'deviceState' THEN 256
                    WHEN 'client' THEN 512
                    WHEN 'ipAddressSeenByAzureAD' THEN 1024
                    WHEN 'ipAddressSeenByResourceProvider' THEN 2048
                    WHEN 'unknownFutureValue' THEN 4096
                    WHEN 'servicePrincipals' THEN 8192
                    WHEN 'servicePrincipalRisk' THEN 16384
                    WHEN 'authenticationFlows' THEN 32768
                    WHEN 'insiderRisk' THEN 65536
                    ELSE 0
                END)), 0)::INTEGER
    END;

CREATE OR REPLACE TEMP MACRO signin_struct(doc) AS json_transform(doc, '{
        "id": "JSON", "createdDateTime": "JSON", "signInEventTypes": "JSON",
        "properties": "JSON", "event": "JSON", "conditionalAccessPolicies": "JSON", "conditionalAccessApplied": "JSON",
        "correlationId": "VARCHAR", "originalRequestId": "VARCHAR", "sessionId": "VARCHAR",
        "uniqueTokenIdentifier": "VARCHAR", "isInteractive": "BOOLEAN",
        "homeTenantId": "VARCHAR", "resourceTenantId": "JSON",
        "userId": "VARCHAR", "userPrincipalName": "VARCHAR", "userDisplayName": "VARCHAR", "userType": "VARCHAR",
        "appId": "VARCHAR", "appDisplayName": "VARCHAR", "resourceId": "VARCHAR", "resourceDisplayName": "VARCHAR",
        "servicePrincipalId": "VARCHAR", "servicePrincipalName": "VARCHAR",
        "ipAddress": "VARCHAR", "autonomousSystemNumber": "INTEGER", "clientAppUsed": "VARCHAR", "userAgent": "VARCHAR",
        "status": {"errorCode": "INTEGER", "failureReason": "VARCHAR", "additionalDetails": "VARCHAR"},
        "authenticationRequirement": "VARCHAR",
        "authenticationRequirementPolicies": [{"requirementProvider": "VARCHAR", "detail": "VARCHAR"}],
        "authenticationMethodsUsed": ["VARCHAR"],
        "authenticationProtocol": "VARCHAR", "incomingTokenType": "VARCHAR", "tokenIssuerType": "VARCHAR",
        "tokenIssuerName": "VARCHAR", "crossTenantAccessType": "VARCHAR",
        "mfaDetail": {"authMethod": "VARCHAR", "authDetail": "VARCHAR"},
        "deviceDetail": {"deviceId": "VARCHAR", "displayName": "VARCHAR", "operatingSystem": "VARCHAR",
                         "browser": "VARCHAR", "browserId": "VARCHAR", "isCompliant": "BOOLEAN",
                         "isManaged": "BOOLEAN", "trustType": "VARCHAR"},
        "location": {"city": "VARCHAR", "state": "VARCHAR", "countryOrRegion": "VARCHAR",
                     "geoCoordinates": {"latitude": "DOUBLE", "longitude": "DOUBLE"}},
        "networkLocationDetails": [{"networkType": "VARCHAR", "networkNames": ["VARCHAR"]}],
        "riskDetail": "VARCHAR", "riskLevelAggregated": "VARCHAR", "riskLevelDuringSignIn": "VARCHAR",
        "riskState": "VARCHAR", "riskEventTypes_v2": ["VARCHAR"], "riskEventTypes": ["VARCHAR"],
        "conditionalAccessStatus": "VARCHAR", "flaggedForReview": "BOOLEAN",
        "processingTimeInMilliseconds": "INTEGER",
        "authenticationDetails": [{"authenticationStepDateTime": "TIMESTAMPTZ", "authenticationMethod": "VARCHAR",
                                   "authenticationMethodDetail": "VARCHAR", "authenticationStepRequirement": "VARCHAR",
                                   "authenticationStepResultDetail": "VARCHAR", "succeeded": "BOOLEAN",
                                   "StatusSequence": "BIGINT", "RequestSequence": "BIGINT"}],
        "appliedConditionalAccessPolicies": "JSON",
        "authenticationAppPolicyEvaluationDetails": [{"policyName": "VARCHAR", "status": "VARCHAR",
                                                      "adminConfiguration": "VARCHAR", "authenticationEvaluation": "VARCHAR"}],
        "authenticationAppDeviceDetails": {"appVersion": "VARCHAR", "clientApp": "VARCHAR", "deviceId": "VARCHAR",
                                           "operatingSystem": "VARCHAR"}
    }');

-- appliedConditionalAccessPolicies, kept as JSON text by signin_struct: most sign-ins of a batch repeat one
-- of a few lists, so each distinct text is parsed here once (load/20_staged_records.sql), into the
-- normalised list that sql/schema/008_ca_policy_sets.sql keys.
CREATE OR REPLACE TEMP MACRO ca_policy_list(policies_json) AS list_transform(
    from_json(policies_json, '[{"id": "VARCHAR", "displayName": "VARCHAR", "result": "VARCHAR",
                                "enforcedGrantControls": ["VARCHAR"], "enforcedSessionControls": ["VARCHAR"],
                                "conditionsSatisfied": "VARCHAR", "conditionsNotSatisfied": "VARCHAR",
                                "authenticationStrength": {"displayName": "VARCHAR"}}]'),
    lambda p: ca_policy(nullif(p.id, ''), p.displayName, lower_first(p.result), p.enforcedGrantControls,
                        p.enforcedSessionControls, ca_flags(p.conditionsSatisfied), ca_flags(p.conditionsNotSatisfied),
                        nullif(p.authenticationStrength.displayName, '')));

-- The method of the MFA prompt a sign-in showed (signins.mfa_challenge_method, sql/schema/011_mfa_challenges.sql):
-- its last MFA step not satisfied by an earlier claim, else (a 500121) its last failed step, else mfaDetail's.
CREATE OR REPLACE TEMP MACRO mfa_challenge_method(steps, error_code, mfa_detail_method) AS coalesce(
    list_filter(steps, lambda d: mfa_prompt_step(d.authenticationStepRequirement, nullif(d.authenticationMethod, ''),
                                                  d.authenticationStepResultDetail))[-1].authenticationMethod,
    CASE WHEN error_code = 500121
         THEN list_filter(steps, lambda d: NOT d.succeeded AND coalesce(d.authenticationMethod, '') <> '')[-1]
              .authenticationMethod END,
    nullif(mfa_detail_method, ''));

-- The policy lists this connection has met, by the JSON text signin_struct gives them (ca_hash: its
-- hash, for a cheap join): a batch's sign-ins look their list up here (load/20_staged_records.sql), and
-- only the texts not met before are parsed and keyed (load/25_new_ca_lists.sql). Bounded by
-- load/37_forget_ca_lists.sql.
-- Kept per file: the connections that stage run this script once per file. Texts of lists with no policy
-- ('[]') are kept too, with no key.
CREATE OR REPLACE TEMP TABLE ca_known AS
SELECT hash(''::VARCHAR) AS ca_hash, ''::VARCHAR AS ca_json, NULL::UUID AS ca_set, ca_policy_list('[]') AS policies
LIMIT 0;

-- A Graph event type as Python spells it (signins.ingest.shapes._graph_event_type).
CREATE OR REPLACE TEMP MACRO event_type_name(x) AS
    CASE lower(x)
        WHEN 'interactiveuser' THEN 'interactiveUser' WHEN 'noninteractiveuser' THEN 'nonInteractiveUser'
        WHEN 'serviceprincipal' THEN 'servicePrincipal' WHEN 'managedidentity' THEN 'managedIdentity'
        WHEN 'adfs' THEN 'adfs' ELSE x
    END;
