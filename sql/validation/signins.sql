-- The normalised columns the gate checks (the enum columns are signins.runs.gates.KNOWN_VALUES), one slice of
-- them (by the hash of the id: duplicates share a slice).
SELECT id, created_at, error_code, latitude, longitude, event_type, conditional_access_status, risk_level_during_signin, risk_state, authentication_requirement, user_type
FROM gate_signins WHERE hash(id) % $slices = $part
