-- ids for a batch's new articles, taken before they are written: the batch is then written by one COPY
-- with its near-duplicate marks (a copy points at an earlier copy of the same batch by that id)
select nextval(pg_get_serial_sequence('articles', 'article_id'))
from generate_series(1, %(n)s::integer)
