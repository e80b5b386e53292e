-- a failing task of a run still open says why (kept for the run's closing status; one line each)
update pipeline_runs
set error = left(concat_ws(E'\n', error, %(error)s::text), 8000)
where run_id = %(run_id)s
  and status = 'running'
