-- a batch's LSH bands (one row per article and band) and each article pointed at the earliest copy of
-- its story (null: it is the first), in one statement; rows already right are not rewritten
with marked as (
    update articles as a
    set duplicate_of = d.root
    from unnest(%(article_ids)s::bigint[], %(roots)s::bigint[]) as d (article_id, root)
    where a.article_id = d.article_id and a.duplicate_of is distinct from d.root
)

insert into article_lsh_bands (band, bucket, article_id)
select band, bucket, article_id
from unnest(%(band_articles)s::bigint[], %(bands)s::smallint[], %(buckets)s::bigint[]) as b (article_id, band, bucket)
order by band, bucket, article_id
on conflict do nothing
