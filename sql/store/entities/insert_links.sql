-- one row per article and entity: the mentions of the names resolved to the entity, summed
insert into article_entities (article_id, entity_id, mention_count, first_offset, in_title, salience)
select *
from unnest(%(article_ids)s::bigint[], %(entity_ids)s::bigint[], %(counts)s::integer[], %(offsets)s::integer[],
            %(in_title)s::boolean[], %(salience)s::real[])
order by 1, 2
