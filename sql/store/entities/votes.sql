-- the spellings and labels of these names across the warehouse: one row per name key, spelling and
-- label, with its mentions
select name_key, name, label, sum(mention_count)::bigint
from entity_mentions
where name_key = any(%(keys)s::text[])
group by name_key, name, label
