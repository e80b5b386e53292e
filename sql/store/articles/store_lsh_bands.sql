-- an article's MinHash signature and its LSH bands (one row per band)
with signed as (
    update articles set minhash = %(minhash)s where article_id = %(article_id)s
)
insert into article_lsh_bands (band, bucket, article_id)
select band, bucket, %(article_id)s
from unnest(%(bands)s::smallint[], %(buckets)s::bigint[]) as b (band, bucket)
on conflict do nothing
