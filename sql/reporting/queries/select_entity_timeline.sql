-- report entity-timeline: one row per entity and day from its first to its last mention (from
-- --since to --until; days without stories show 0), for each entity whose name or alias is --entity, in
-- any case ("us" finds United States through its alias, "Trump" Donald Trump when the
-- resolution step resolved it so). Reads entity_daily by its key.
with named as (
    select entity_id
    from public.entities
    where lower(name) = lower(%(entity)s)
),

aliased as (
    select entity_id
    from public.entity_aliases
    where lower(alias) = lower(%(entity)s)
),

resolved as (
    select entity_id
    from public.entity_resolution
    where name_key = entity_key(%(entity)s)
      and entity_id is not null
),

matches as (
    select entity_id from named
    union
    select entity_id from aliased
    union
    select entity_id from resolved
),

entities as (
    select entity_id, name, type
    from public.entities
),

timeline as (
    select m.entity_id, e.name as entity, e.type, d.day, d.articles, d.mentions, d.title_articles, d.salience, d.rank
    from matches as m
    join entities as e on e.entity_id = m.entity_id
    cross join lateral (
        select day, articles, mentions, title_articles, salience, rank
        from reporting.entity_daily
        where entity_id = m.entity_id
          and (%(since)s::date is null or day >= %(since)s::date)
          and (%(until)s::date is null or day <= %(until)s::date)
    ) as d
),

spans as (
    select entity_id, entity, type, min(day) as first_day, max(day) as last_day
    from timeline
    group by entity_id, entity, type
),

days as (
    select s.entity_id, s.entity, s.type, d.day::date as day
    from spans as s
    cross join lateral generate_series(s.first_day, s.last_day, interval '1 day') as d (day)
)

select
    days.day,
    days.entity,
    days.type,
    coalesce(t.articles, 0) as articles,
    coalesce(t.mentions, 0) as mentions,
    coalesce(t.title_articles, 0) as title_articles,
    round(coalesce(t.salience, 0)::numeric, 3) as salience,
    t.rank
from days
left join timeline as t on t.entity_id = days.entity_id and t.day = days.day
order by days.entity, days.type, days.day
