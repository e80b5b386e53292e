-- report rejects: one row per run, stage and reason, for the latest (limit) rows of runs started
-- from --since to --until, newest run first
select run_id, started_at, stage, reason, rejects, share, rate
from reporting.rejects_by_reason
where (%(since)s::date is null or started_at >= %(since)s::date)
  and (%(until)s::date is null or started_at < %(until)s::date + 1)
order by run_id desc, rejects desc, stage, reason
limit %(limit)s
