-- remember the short forms resolved inside articles ("Blinken" -> Antony Blinken)
insert into entity_aliases (alias, type, entity_id, source)
select distinct on (alias, type) alias, type, entity_id, 'learned'
from unnest(%(aliases)s::text[], %(types)s::text[], %(entity_ids)s::bigint[]) as l (alias, type, entity_id)
on conflict (alias, type) do nothing
