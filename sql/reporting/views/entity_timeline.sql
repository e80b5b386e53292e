-- reporting.entity_timeline: one row per entity and day on which stories mention it (filter by
-- entity at query time: `where lower(entity) = lower('Antony Blinken')`).
create or replace view reporting.entity_timeline as
with entity_daily as (
    select entity_id, day, articles, mentions, title_articles, salience, rank
    from reporting.entity_daily
),

entities as (
    select entity_id, name, type
    from public.entities
)

select
    e.entity_id,
    e.name as entity,
    e.type,
    d.day,
    d.articles,
    d.mentions,
    d.title_articles,
    round(d.salience::numeric, 3) as salience,
    d.rank
from entity_daily as d
join entities as e on e.entity_id = d.entity_id;
