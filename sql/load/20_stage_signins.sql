-- Typed sign-in rows from the staged records, with a completeness score: the number of fields and
-- child rows a version carries. When one sign-in arrives in several versions (a Graph pull and an
-- Azure Monitor export, a late re-aggregation), the most complete one is kept.

-- Candidates the batch did not accept have been handed back to Python (signins.load).
DELETE FROM stg_records WHERE NOT accepted;

CREATE OR REPLACE TEMP TABLE stg_signins AS
WITH typed AS (
    SELECT
        rn,
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
        nullif(r.resourceTenantId, '')                      AS resource_tenant_id,
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
        record_key,
        len(coalesce(r.authenticationDetails, []))
          + len(coalesce(r.appliedConditionalAccessPolicies, []))
          + len(coalesce(r.authenticationAppPolicyEvaluationDetails, []))
          + (r.authenticationAppDeviceDetails IS NOT NULL)::INTEGER AS child_rows
    FROM stg_records
)
SELECT
    * EXCLUDE (child_rows),
    child_rows + list_count([
        correlation_id, original_request_id, session_id, unique_token_identifier, home_tenant_id,
        resource_tenant_id, user_id, user_principal_name, user_display_name, user_type, app_id,
        app_display_name, resource_id, resource_display_name, ip_address, client_app_used, user_agent,
        failure_reason, additional_details, authentication_requirement, device_id, device_operating_system,
        device_browser, city, country_or_region, risk_level_during_signin, risk_state,
        conditional_access_status, error_code::VARCHAR, autonomous_system_number::VARCHAR,
        latitude::VARCHAR, device_is_compliant::VARCHAR, device_is_managed::VARCHAR
    ]) AS completeness,
    now() AS loaded_at
FROM typed;
