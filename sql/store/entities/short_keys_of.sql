-- the short forms absorbed anywhere into one of these long names: one row per short key
select distinct short_key
from entity_short_forms
where long_key = any(%(keys)s::text[])
