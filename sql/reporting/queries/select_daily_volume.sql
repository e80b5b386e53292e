-- report daily-volume: one row per day, source and language, from --since to --until
select day, source, language, articles, undated, words
from reporting.daily_volume
where (%(since)s::date is null or day >= %(since)s::date)
  and (%(until)s::date is null or day <= %(until)s::date)
order by day, source, language
