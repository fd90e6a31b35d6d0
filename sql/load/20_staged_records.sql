-- The staged records of one batch, registered from Python as `batch` (signins.ingest.batches.batch_table): rn, file,
-- candidate, locator, line, byte_offset, byte_length, format, event_type, tenant_id, signin_id, created_at, doc.
-- A batch may hold the records of several files of a load: `file` says whose (signins.ingest.writer).
-- json_transform parses each document once into a typed struct; a value of the wrong type becomes
-- NULL here (the raw layer keeps the original).
--
-- Found rows were read by Python, which says what they are. Candidates (unparsed JSON lines of a file
-- of plain Graph records, and the elements of a Graph page after its first; their format is what they
-- are when accepted) are recognised here by the rules signins.ingest.shapes applies to a plain Graph
-- record, only stricter: `accepted` is false for a record they do not clearly fit (not UTF-8, not
-- JSON, an unusual id, time or event type, a key of another shape), and Python reads such records
-- again and says what they are.

WITH docs AS (
    -- Strictly, a text that is not UTF-8 fails the batch, which is staged again leniently (a CASE on
    -- `candidate` alone copies every text: 6% of the query).
    SELECT b.* EXCLUDE (doc), CASE WHEN candidate AND $lenient THEN try(decode(b.doc)) ELSE decode(b.doc) END AS text
    FROM batch AS b
),
parsed AS (
    SELECT docs.* EXCLUDE (text),
           -- Lenient only when a strict try failed: try() costs a third more on every record.
           CASE WHEN candidate AND $lenient THEN try(signin_struct(text)) ELSE signin_struct(text) END AS r
    FROM docs
),
recognised AS (
    SELECT parsed.* EXCLUDE (event_type, tenant_id, signin_id, created_at),
           candidate AND (r.properties IS NOT NULL OR r.event IS NOT NULL OR r.conditionalAccessPolicies IS NOT NULL
                          OR r.conditionalAccessApplied IS NOT NULL) AS other_shape,
           CASE WHEN candidate
                THEN event_type_name(nullif(regexp_extract(r.signInEventTypes, '^\["([A-Za-z]+)"', 1), ''))
                ELSE event_type END AS event_type,
           -- as Python: the tenant given, else resourceTenantId when it is a string (not a number, an object...),
           -- '' when nobody knows it (with the id, it identifies the sign-in: sql/schema/009_tenant_identity.sql)
           coalesce(CASE WHEN candidate
                         THEN coalesce(nullif($tenant, ''), CASE WHEN json_type(r.resourceTenantId) = 'VARCHAR'
                                                                 THEN json_extract_string(r.resourceTenantId, '$') END)
                         ELSE tenant_id END, '') AS tenant_id,
           CASE WHEN candidate THEN nullif(regexp_extract(r.id, '^"([0-9A-Za-z._:-]+)"$', 1), '')
                ELSE signin_id END AS signin_id,
           -- ISO 8601 in UTC as Graph writes it; fraction digits past microseconds are cut, as Python does
           CASE WHEN candidate
                THEN try_cast(nullif(regexp_extract(r.createdDateTime,
                         '^"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)[0-9]{0,3}Z"$', 1), '')
                         || 'Z' AS TIMESTAMPTZ)
                ELSE created_at END AS created_at
    FROM parsed
),
staged AS (
    SELECT rn, file, locator, line, byte_offset, byte_length, format,
           event_type, tenant_id, signin_id, created_at, r,
           -- what this version of the sign-in says, as read (load/40_winners.sql orders versions by it):
           -- the same record in any spacing, key order or container hashes alike
           hash(r) AS version_hash,
           NOT candidate OR coalesce(r IS NOT NULL AND NOT other_shape AND signin_id IS NOT NULL
                                     AND event_type IS NOT NULL AND year(created_at) BETWEEN 1970 AND 2200, false) AS accepted
    FROM recognised
),
-- Typed sign-in rows, with a completeness score: the number of fields and child rows a version
-- carries. When one sign-in arrives in several versions (a Graph pull and an Azure Monitor export,
-- a late re-aggregation), the most complete one is kept (load/40_winners.sql).
typed AS (
    SELECT
        rn, file, locator, line, byte_offset, byte_length, accepted, version_hash,
        r.authenticationDetails AS auth_details, r.appliedConditionalAccessPolicies AS ca_json,
        r.authenticationAppPolicyEvaluationDetails AS app_policy_evaluations,
        r.authenticationAppDeviceDetails AS app_device,
        signin_id                                           AS id,
        created_at,
        nullif(r.correlationId, '')                         AS correlation_id,
        nullif(r.originalRequestId, '')                     AS original_request_id,
        nullif(r.sessionId, '')                             AS session_id,
        nullif(r.uniqueTokenIdentifier, '')                 AS unique_token_identifier,
        event_type,
        coalesce(r.isInteractive, event_type = 'interactiveUser') AS is_interactive,
        tenant_id,
        nullif(r.homeTenantId, '')                          AS home_tenant_id,
        nullif(json_extract_string(r.resourceTenantId, '$'), '') AS resource_tenant_id,
        nullif(r.userId, '')                                AS user_id,
        nullif(lower(r.userPrincipalName), '')              AS user_principal_name,
        nullif(r.userDisplayName, '')                       AS user_display_name,
        lower_first(r.userType)                             AS user_type,
        nullif(r.appId, '')                                 AS app_id,
        nullif(r.appDisplayName, '')                        AS app_display_name,
        nullif(r.resourceId, '')                            AS resource_id,
        nullif(r.resourceDisplayName, '')                   AS resource_display_name,
        nullif(r.servicePrincipalId, '')                    AS service_principal_id,
        nullif(r.servicePrincipalName, '')                  AS service_principal_name,
        nullif(r.ipAddress, '')                             AS ip_address,
        r.autonomousSystemNumber                            AS autonomous_system_number,
        nullif(r.clientAppUsed, '')                         AS client_app_used,
        nullif(r.userAgent, '')                             AS user_agent,
        r.status.errorCode                                  AS error_code,
        nullif(r.status.failureReason, '')                  AS failure_reason,
        nullif(r.status.additionalDetails, '')              AS additional_details,
        nullif(r.authenticationRequirement, '')             AS authentication_requirement,
        list_transform(r.authenticationRequirementPolicies, lambda p: p.requirementProvider) AS requirement_providers,
        list_transform(r.authenticationRequirementPolicies, lambda p: p.detail)              AS requirement_details,
        r.authenticationMethodsUsed                         AS authentication_methods_used,
        nullif(r.authenticationProtocol, '')                AS authentication_protocol,
        nullif(r.incomingTokenType, '')                     AS incoming_token_type,
        nullif(r.tokenIssuerType, '')                       AS token_issuer_type,
        nullif(r.tokenIssuerName, '')                       AS token_issuer_name,
        nullif(r.crossTenantAccessType, '')                 AS cross_tenant_access_type,
        nullif(r.mfaDetail.authMethod, '')                  AS mfa_auth_method,
        nullif(r.mfaDetail.authDetail, '')                  AS mfa_auth_detail,
        mfa_challenge_method(r.authenticationDetails, r.status.errorCode, r.mfaDetail.authMethod) AS mfa_challenge_method,
        nullif(r.deviceDetail.deviceId, '')                 AS device_id,
        nullif(r.deviceDetail.displayName, '')              AS device_display_name,
        nullif(r.deviceDetail.operatingSystem, '')          AS device_operating_system,
        nullif(r.deviceDetail.browser, '')                  AS device_browser,
        nullif(r.deviceDetail.browserId, '')                AS device_browser_id,
        r.deviceDetail.isCompliant                          AS device_is_compliant,
        r.deviceDetail.isManaged                            AS device_is_managed,
        nullif(r.deviceDetail.trustType, '')                AS device_trust_type,
        nullif(r.location.city, '')                         AS city,
        nullif(r.location.state, '')                        AS state,
        nullif(r.location.countryOrRegion, '')              AS country_or_region,
        r.location.geoCoordinates.latitude                  AS latitude,
        r.location.geoCoordinates.longitude                 AS longitude,
        list_transform(r.networkLocationDetails, lambda n: n.networkType)                     AS network_types,
        flatten(list_transform(r.networkLocationDetails, lambda n: coalesce(n.networkNames, []))) AS network_names,
        lower_first(r.riskDetail)                           AS risk_detail,
        lower_first(r.riskLevelAggregated)                  AS risk_level_aggregated,
        lower_first(r.riskLevelDuringSignIn)                AS risk_level_during_signin,
        lower_first(r.riskState)                            AS risk_state,
        coalesce(r.riskEventTypes_v2, r.riskEventTypes)     AS risk_event_types,
        lower_first(r.conditionalAccessStatus)              AS conditional_access_status,
        r.flaggedForReview                                  AS flagged_for_review,
        r.processingTimeInMilliseconds                      AS processing_time_ms,
        format                                              AS source_format,
        len(coalesce(r.authenticationDetails, []))
          + len(coalesce(r.authenticationAppPolicyEvaluationDetails, []))
          + (r.authenticationAppDeviceDetails IS NOT NULL)::INTEGER AS child_rows
    FROM staged
),
-- Each sign-in's policy list looked up by its JSON text among the lists met before (ca_known, in
-- load/10_stage_macros.sql): a join on a hash streams, where grouping the batch's texts held the whole
-- batch (a fifth of the query). A text not met before is passed on (`ca_json`, else NULL) to be parsed
-- and keyed once (load/25_new_ca_lists.sql); the completeness of its sign-in counts its policies then.
SELECT
    typed.* EXCLUDE (child_rows, ca_json),
    known.ca_set,
    CASE WHEN typed.accepted AND known.ca_json IS NULL THEN typed.ca_json END AS ca_json,
    child_rows + coalesce(len(known.policies), 0) + list_count([
        correlation_id, original_request_id, session_id, unique_token_identifier, home_tenant_id,
        resource_tenant_id, user_id, user_principal_name, user_display_name, user_type, app_id,
        app_display_name, resource_id, resource_display_name, ip_address, client_app_used, user_agent,
        failure_reason, additional_details, authentication_requirement, device_id, device_operating_system,
        device_browser, city, country_or_region, risk_level_during_signin, risk_state,
        conditional_access_status, error_code::VARCHAR, autonomous_system_number::VARCHAR,
        latitude::VARCHAR, device_is_compliant::VARCHAR, device_is_managed::VARCHAR
    ]) AS completeness,
    now() AS loaded_at
FROM typed LEFT JOIN ca_known AS known
    ON known.ca_hash = hash(typed.ca_json) AND known.ca_json = typed.ca_json AND typed.accepted;
