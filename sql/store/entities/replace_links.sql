-- the entity links of these articles, derived again: the old ones go (their entity ids are returned,
-- to collect entities nothing names any more)
delete from article_entities
where article_id = any(%(article_ids)s::bigint[])
returning entity_id
