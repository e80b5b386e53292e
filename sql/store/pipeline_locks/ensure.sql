-- one row per named lock, created when missing (a lock row is never deleted)
insert into pipeline_locks (name, purpose)
select name, purpose
from unnest(%(names)s::text[], %(purposes)s::text[]) as l (name, purpose)
on conflict (name) do nothing
