-- report trending: one row per ISO week and rise rank (1..limit), from the week of --since to the week of --until
select week, rise_rank, entity, type, change, salience, prev_salience, articles, prev_articles, rank, prev_rank
from reporting.trending_entities
where rise_rank <= %(limit)s
  and (%(since)s::date is null or week >= date_trunc('week', %(since)s::timestamp)::date)
  and (%(until)s::date is null or week <= %(until)s::date)
order by week, rise_rank
