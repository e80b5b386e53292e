-- report top-entities-daily: one row per day and rank (1..limit), from --since to --until
select day, rank, entity, type, articles, mentions, salience, prev_rank, prev_salience, change, trend
from reporting.top_entities_daily
where rank <= %(limit)s
  and (%(since)s::date is null or day >= %(since)s::date)
  and (%(until)s::date is null or day <= %(until)s::date)
order by day, rank
