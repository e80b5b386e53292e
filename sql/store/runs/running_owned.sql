-- runs still open whose owning process ran on host %(owner_host)s: a later run checks each process
-- is still there. Grain: one row per run.
select run_id, owner_pid, owner_started_at
from pipeline_runs
where status = 'running'
  and owner_host = %(owner_host)s
  and owner_pid is not null
order by run_id
