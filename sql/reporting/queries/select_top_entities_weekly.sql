-- report top-entities-weekly: one row per ISO week and rank (1..limit), from the week of --since to the week of --until
select week, rank, entity, type, articles, mentions, days, salience, prev_rank, prev_salience, change, trend
from reporting.top_entities_weekly
where rank <= %(limit)s
  and (%(since)s::date is null or week >= date_trunc('week', %(since)s::timestamp)::date)
  and (%(until)s::date is null or week <= %(until)s::date)
order by week, rank
