SELECT count(*) FROM raw_records
