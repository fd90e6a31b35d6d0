-- The normalised columns the gate checks (the enum columns are signins.runs.gates.KNOWN_VALUES), one slice of
-- them (by the hash of the sign-in's tenant and id: duplicates share a slice). signin_key names the
-- sign-in as the JSON array [tenant_id, id].
SELECT to_json([tenant_id, id])::VARCHAR AS signin_key, created_at, error_code, latitude, longitude, event_type, conditional_access_status, risk_level_during_signin, risk_state, authentication_requirement, user_type
FROM gate_signins WHERE hash(tenant_id, id) % $slices = $part
