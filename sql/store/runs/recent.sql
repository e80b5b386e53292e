-- the newest runs first. Grain: one row per run.
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
order by run_id desc
limit %(limit)s
