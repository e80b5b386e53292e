-- every name key the evidence of these articles names (their names and short forms): one row per key
select name_key
from entity_mentions
where article_id = any(%(article_ids)s::bigint[])
union
select short_key
from entity_short_forms
where article_id = any(%(article_ids)s::bigint[])
