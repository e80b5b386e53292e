-- report quality-runs: one row per run, the latest (limit) runs started from --since to --until, newest first
select run_id, trigger, status, started_at, seconds, attempted, rejected_fetch, rejected_extract, reject_rate,
       articles, stories, duplicate_rate, no_date_share, no_author_share, empty_body_share
from reporting.quality_runs
where (%(since)s::date is null or started_at >= %(since)s::date)
  and (%(until)s::date is null or started_at < %(until)s::date + 1)
order by run_id desc
limit %(limit)s
