-- what the entity stage found in each article of a batch: one row per article and name key
insert into entity_mentions (article_id, name_key, name, label, mention_count, first_offset, in_title, salience)
select *
from unnest(%(article_ids)s::bigint[], %(keys)s::text[], %(names)s::text[], %(labels)s::text[],
            %(counts)s::integer[], %(offsets)s::integer[], %(in_title)s::boolean[], %(salience)s::real[])
