-- one row per run; an Airflow run retried after a crash finds its own row again
insert into pipeline_runs (trigger, external_id, params)
values (%(trigger)s, %(external_id)s, %(params)s)
on conflict (external_id) where external_id is not null do update
set status = 'running', finished_at = null, error = null
returning run_id
