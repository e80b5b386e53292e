-- report top-authors: one row per source and rank (1..limit)
select source, rank, author, articles, first_day, last_day
from reporting.top_authors
where rank <= %(limit)s
order by source, rank
