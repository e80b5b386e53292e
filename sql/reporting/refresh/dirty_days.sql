-- the days a refresh has to compute again: one row per day with at least one mark, oldest first
select day
from reporting.dirty_days
group by day
order by day
