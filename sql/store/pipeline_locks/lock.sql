-- take one named lock until the transaction ends (waits at most lock_timeout for its holder)
select name
from pipeline_locks
where name = %(name)s
for update
