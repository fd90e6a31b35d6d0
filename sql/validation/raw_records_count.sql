SELECT count(*) FROM gate_raw_records
