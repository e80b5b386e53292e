-- other articles sharing an LSH bucket with one article: one row per candidate, with its signature
-- and the root of its duplicate chain (the first copy of the story that reached the warehouse)
with wanted as (
    select band, bucket
    from unnest(%(bands)s::smallint[], %(buckets)s::bigint[]) as w (band, bucket)
),
candidates as (
    select distinct b.article_id
    from article_lsh_bands as b
    join wanted as w on w.band = b.band and w.bucket = b.bucket
    where b.article_id <> %(article_id)s
)
select a.article_id, a.minhash, coalesce(a.duplicate_of, a.article_id) as root
from candidates as c
join articles as a on a.article_id = c.article_id
