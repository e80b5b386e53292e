-- a full rebuild: mark every day a story is on, and every day (or week) the aggregates hold rows for,
-- so the refresh recomputes them all (and drops what no story backs any more). The aggregates' days
-- are read by a loose scan of their day indexes (one probe per day, not one row per entity).
with recursive daily_days as (
    select min(day) as day
    from reporting.entity_daily
    union all
    select (select min(e.day) from reporting.entity_daily as e where e.day > d.day)
    from daily_days as d
    where d.day is not null
),

weekly_weeks as (
    select min(week) as week
    from reporting.entity_weekly
    union all
    select (select min(e.week) from reporting.entity_weekly as e where e.week > w.week)
    from weekly_weeks as w
    where w.week is not null
),

story_leader_days as (
    select min(day) as day
    from reporting.story_leaders
    union all
    select (select min(s.day) from reporting.story_leaders as s where s.day > l.day)
    from story_leader_days as l
    where l.day is not null
),

every_day as (
    select day from reporting.stories
    union
    select day from reporting.leader_days
    union
    select day from daily_days
    union
    select week from weekly_weeks
    union
    select day from story_leader_days
)

insert into reporting.dirty_days (day)
select day
from every_day
where day is not null
order by day
