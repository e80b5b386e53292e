-- clear what an article's previous load linked, so a reload leaves exactly the new links (its
-- entity evidence: etl.store.entities.store_mentions; its article_entities stay until the
-- resolution step derives them again)
with deleted_authors as (
    delete from article_authors where article_id = any(%(article_ids)s::bigint[])
),
deleted_keywords as (
    delete from article_keywords where article_id = any(%(article_ids)s::bigint[])
)
delete from article_lsh_bands where article_id = any(%(article_ids)s::bigint[])
