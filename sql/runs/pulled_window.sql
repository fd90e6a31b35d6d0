-- The window a run's pulls read (from the watermarks they moved in its staging store), for the gate's
-- "sign-in time within the window read" check; NULLs when nothing was pulled.
SELECT min(window_start) AS window_start, max(window_end) AS window_end
FROM pull_watermarks
WHERE updated_at >= $run_started
