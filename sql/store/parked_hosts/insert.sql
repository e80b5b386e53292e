-- park a host for the rest of a run (it kept failing): the run asks it nothing more. The first
-- parking of a run and host is kept. Grain: one row per run and host.
insert into parked_hosts (run_id, host, reason, detail, failures)
values (%(run_id)s, %(host)s, %(reason)s, %(detail)s, %(failures)s)
on conflict (run_id, host) do nothing
