-- in how many articles each of these names is an entity: one row per name key held by any
select name_key, count(*)::integer
from entity_mentions
where name_key = any(%(keys)s::text[])
group by name_key
