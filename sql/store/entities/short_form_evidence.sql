-- the evidence of these short forms across the warehouse: one row per short key and long key it was
-- absorbed into, with the articles saying so and whether the long name was a person in any of them
select short_key, long_key, count(*)::integer, bool_or(long_label = 'PERSON')
from entity_short_forms
where short_key = any(%(keys)s::text[])
group by short_key, long_key
