-- A run whose data passed the gates ($run): it stays (sql/runs/drop_displaced.sql lets go of what it replaced).
UPDATE runs SET state = 'kept', ended_at = now() WHERE run_name = $run;
