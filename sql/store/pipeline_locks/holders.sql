-- the session holding a named lock, one row per holder: a locked row's xmax is the transaction that
-- locked it, and that transaction's id lock in pg_locks belongs to the holding backend. Fields of
-- other roles' sessions this role may not see (backend_start, state) come back null.
select a.pid, a.usename, a.application_name, a.backend_start, a.state, a.xact_start
from pipeline_locks as p
join pg_locks as l
  on l.locktype = 'transactionid' and l.granted and l.transactionid = p.xmax
join pg_stat_activity as a on a.pid = l.pid
where p.name = %(name)s
  and a.pid <> pg_backend_pid()
order by a.pid
