-- the seed and manual aliases with their entities: one row per (alias, mention label)
select a.alias, a.type, e.name, e.type, a.source, a.entity_id
from entity_aliases as a
join entities as e on e.entity_id = a.entity_id
