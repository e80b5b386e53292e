-- one row per run: its status and the counters the stages added up
select run_id, status, counts, stage_timings, extract(epoch from (finished_at - started_at)) as seconds
from pipeline_runs
where run_id = %(run_id)s
