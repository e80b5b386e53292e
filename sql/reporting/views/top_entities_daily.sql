-- reporting.top_entities_daily: one row per day and entity among the day's 100 most salient, with
-- the change against the day before: trend is 'new' (not mentioned the day before), 'up', 'down'
-- or 'same' (by rank).
create or replace view reporting.top_entities_daily as
with entity_daily as (
    select entity_id, day, articles, mentions, title_articles, salience, rank, prev_salience, prev_rank
    from reporting.entity_daily
    where rank <= 100
),

entities as (
    select entity_id, name, type
    from public.entities
)

select
    d.day,
    d.rank,
    d.entity_id,
    e.name as entity,
    e.type,
    d.articles,
    d.mentions,
    d.title_articles,
    round(d.salience::numeric, 3) as salience,
    d.prev_rank,
    round(d.prev_salience::numeric, 3) as prev_salience,
    round((d.salience - coalesce(d.prev_salience, 0))::numeric, 3) as change,
    case
        when d.prev_rank is null then 'new'
        when d.rank < d.prev_rank then 'up'
        when d.rank > d.prev_rank then 'down'
        else 'same'
    end as trend
from entity_daily as d
join entities as e on e.entity_id = d.entity_id;
