-- one run: its status, counters, per-stage seconds and error. Grain: one row per run.
select
    run_id,
    trigger,
    status,
    started_at,
    finished_at,
    extract(epoch from (coalesce(finished_at, now()) - started_at))::float8 as seconds,
    counts,
    stage_timings,
    error
from pipeline_runs
where run_id = %(run_id)s
