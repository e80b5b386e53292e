-- one row per pipeline run, newest first
select run_id, trigger, status, started_at, finished_at,
       extract(epoch from (coalesce(finished_at, now()) - started_at)) as seconds,
       counts
from pipeline_runs
order by run_id desc
limit %(limit)s
