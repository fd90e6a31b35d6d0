-- The raw layer's columns the gate checks, one slice of them (by the hash of the key: duplicates share a slice).
SELECT record_key, signin_id, created_at, format FROM gate_raw_records WHERE hash(record_key) % $slices = $part
