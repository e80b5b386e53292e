-- clear what an article's previous load linked, so a reload leaves exactly the new links
with deleted_authors as (
    delete from article_authors where article_id = any(%(article_ids)s::bigint[])
),
deleted_keywords as (
    delete from article_keywords where article_id = any(%(article_ids)s::bigint[])
),
deleted_entities as (
    delete from article_entities where article_id = any(%(article_ids)s::bigint[])
)
delete from article_lsh_bands where article_id = any(%(article_ids)s::bigint[])
