-- the sessions a backend is waiting for (any lock: a table a migration alters, a view it re-creates)
select a.pid, a.usename, a.application_name, a.backend_start, a.state, a.xact_start
from pg_stat_activity as a
where a.pid = any(pg_blocking_pids(%(pid)s))
order by a.pid
