-- one row per run; an Airflow run retried after a crash finds its own row again. A CLI run records
-- the process owning it (host, pid, start time), so a later run can tell when it died unclosed.
insert into pipeline_runs (trigger, external_id, params, owner_host, owner_pid, owner_started_at)
values (%(trigger)s, %(external_id)s, %(params)s, %(owner_host)s, %(owner_pid)s, %(owner_started_at)s)
on conflict (external_id) where external_id is not null do update
set status = 'running', finished_at = null, error = null
returning run_id
