-- link articles to authors and keywords in one statement per batch (their entities: the resolution
-- step, etl/pipeline/resolve.py)
with authors_in as (
    insert into article_authors (article_id, author_id, position)
    select * from unnest(%(aa_article)s::bigint[], %(aa_author)s::bigint[], %(aa_position)s::smallint[])
    on conflict do nothing
)
insert into article_keywords (article_id, keyword_id)
select * from unnest(%(ak_article)s::bigint[], %(ak_keyword)s::bigint[])
on conflict do nothing
