-- close a run with its final status; an error given here is added to what tasks already recorded
update pipeline_runs
set status = %(status)s,
    finished_at = now(),
    error = nullif(concat_ws(E'\n', error, %(error)s::text), '')
where run_id = %(run_id)s
