-- point each article of the batch at the earliest other article with the same normalized text
update articles as a
set duplicate_of = (
    select min(o.article_id)
    from articles as o
    where o.content_hash = a.content_hash
      and o.article_id < a.article_id
)
where a.article_id = any(%(article_ids)s::bigint[])
