-- link articles to authors, keywords and entities in one statement per batch
with authors_in as (
    insert into article_authors (article_id, author_id, position)
    select * from unnest(%(aa_article)s::bigint[], %(aa_author)s::bigint[], %(aa_position)s::smallint[])
    on conflict do nothing
),
keywords_in as (
    insert into article_keywords (article_id, keyword_id)
    select * from unnest(%(ak_article)s::bigint[], %(ak_keyword)s::bigint[])
    on conflict do nothing
)
insert into article_entities (article_id, entity_id, mention_count, first_offset, in_title, salience)
select *
from unnest(%(ae_article)s::bigint[], %(ae_entity)s::bigint[], %(ae_count)s::integer[],
            %(ae_offset)s::integer[], %(ae_title)s::boolean[], %(ae_salience)s::real[])
on conflict do nothing
