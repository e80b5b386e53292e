-- the stored articles sharing an LSH bucket with any article of a batch (the batch's own articles left
-- out: they are compared in memory), one query per batch. One row per candidate: its signature, the
-- root of its duplicate chain (the first copy of the story that reached the warehouse) and the batch
-- articles it shares a bucket with.
with wanted as (
    select article_id, band, bucket
    from unnest(%(article_ids)s::bigint[], %(bands)s::smallint[], %(buckets)s::bigint[]) as w (article_id, band, bucket)
),

pairs as (
    select distinct b.article_id as candidate, w.article_id
    from wanted as w
    join article_lsh_bands as b on b.band = w.band and b.bucket = w.bucket
    where b.article_id <> all(%(batch_ids)s::bigint[])
)

select a.article_id, a.minhash, coalesce(a.duplicate_of, a.article_id) as root,
       array_agg(p.article_id order by p.article_id) as sharing
from pairs as p
join articles as a on a.article_id = p.candidate
group by a.article_id
order by a.article_id
