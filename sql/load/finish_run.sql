-- close a run with its final status
update pipeline_runs
set status = %(status)s, finished_at = now(), error = %(error)s
where run_id = %(run_id)s
returning run_id, status, started_at, finished_at, counts, stage_timings
