-- the short forms each entity of a batch's articles absorbed there: one row per article, short key
-- and long key
insert into entity_short_forms (article_id, short_key, long_key, long_label)
select *
from unnest(%(article_ids)s::bigint[], %(short_keys)s::text[], %(long_keys)s::text[], %(long_labels)s::text[])
