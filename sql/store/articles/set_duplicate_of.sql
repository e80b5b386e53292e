-- point each article of a batch at the earliest copy of its story (null: it is the first)
update articles as a
set duplicate_of = d.root
from unnest(%(article_ids)s::bigint[], %(roots)s::bigint[]) as d (article_id, root)
where a.article_id = d.article_id
