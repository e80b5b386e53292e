-- reporting.top_entities_weekly: one row per ISO week (the Monday it starts) and entity among the
-- week's 100 most salient, with the change against the week before: trend is 'new' (not mentioned
-- the week before), 'up', 'down' or 'same' (by rank).
create or replace view reporting.top_entities_weekly as
with entity_weekly as (
    select entity_id, week, articles, mentions, title_articles, salience, days, rank, prev_salience, prev_rank
    from reporting.entity_weekly
    where rank <= 100
),

entities as (
    select entity_id, name, type
    from public.entities
)

select
    w.week,
    w.rank,
    w.entity_id,
    e.name as entity,
    e.type,
    w.articles,
    w.mentions,
    w.title_articles,
    w.days,
    round(w.salience::numeric, 3) as salience,
    w.prev_rank,
    round(w.prev_salience::numeric, 3) as prev_salience,
    round((w.salience - coalesce(w.prev_salience, 0))::numeric, 3) as change,
    case
        when w.prev_rank is null then 'new'
        when w.rank < w.prev_rank then 'up'
        when w.rank > w.prev_rank then 'down'
        else 'same'
    end as trend
from entity_weekly as w
join entities as e on e.entity_id = w.entity_id;
