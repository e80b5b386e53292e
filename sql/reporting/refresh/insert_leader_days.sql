-- the stories with entities of each of the batch's days (from their story_leaders rows)
insert into reporting.leader_days (day, stories)
select day, count(*)
from reporting.story_leaders
where day = any(%(days)s::date[])
group by day
