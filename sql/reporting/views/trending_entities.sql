-- reporting.trending_entities: one row per ISO week and entity among the week's 100 biggest
-- risers: salience gained over the previous week (all of it when the entity is new that week).
create or replace view reporting.trending_entities as
with entity_weekly as (
    select entity_id, week, articles, salience, rank, prev_articles, prev_salience, prev_rank, rise_rank
    from reporting.entity_weekly
    where rise_rank <= 100
),

entities as (
    select entity_id, name, type
    from public.entities
)

select
    w.week,
    w.rise_rank,
    w.entity_id,
    e.name as entity,
    e.type,
    round((w.salience - coalesce(w.prev_salience, 0))::numeric, 3) as change,
    round(w.salience::numeric, 3) as salience,
    round(w.prev_salience::numeric, 3) as prev_salience,
    w.articles,
    w.prev_articles,
    w.rank,
    w.prev_rank
from entity_weekly as w
join entities as e on e.entity_id = w.entity_id;
