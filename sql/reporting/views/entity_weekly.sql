-- reporting.entity_weekly (materialized): one row per entity and ISO week (starting Monday) in
-- which stories mention it: the entity_daily figures summed over the week, the rank among the
-- week's entities by salience (ties by name), the previous week's figures (null when not mentioned then), and
-- rise_rank: the rank by salience gained over the previous week (1 = the biggest riser).
create materialized view reporting.entity_weekly as
with entity_daily as (
    select entity_id, day, articles, mentions, title_articles, salience
    from reporting.entity_daily
),

entities as (
    select entity_id, name, type
    from public.entities
),

weekly as (
    select
        entity_id,
        date_trunc('week', day::timestamp)::date as week,
        sum(articles)::bigint as articles,
        sum(mentions)::bigint as mentions,
        sum(title_articles)::bigint as title_articles,
        sum(salience) as salience,
        count(*) as days
    from entity_daily
    group by entity_id, date_trunc('week', day::timestamp)::date
),

ranked as (
    select
        w.entity_id,
        w.week,
        w.articles,
        w.mentions,
        w.title_articles,
        w.salience,
        w.days,
        e.name,
        e.type,
        row_number() over (partition by w.week order by w.salience desc, w.articles desc, e.name, e.type) as rank
    from weekly as w
    join entities as e on e.entity_id = w.entity_id
),

with_previous as (
    select
        entity_id,
        week,
        articles,
        mentions,
        title_articles,
        salience,
        days,
        name,
        type,
        rank,
        lag(week) over by_entity as prev_week,
        lag(articles) over by_entity as prev_week_articles,
        lag(salience) over by_entity as prev_week_salience,
        lag(rank) over by_entity as prev_week_rank
    from ranked
    window by_entity as (partition by entity_id order by week)
),

compared as (
    select
        entity_id,
        week,
        articles,
        mentions,
        title_articles,
        salience,
        days,
        name,
        type,
        rank,
        case when prev_week = week - 7 then prev_week_articles end as prev_articles,
        case when prev_week = week - 7 then prev_week_salience end as prev_salience,
        case when prev_week = week - 7 then prev_week_rank end as prev_rank
    from with_previous
)

select
    entity_id,
    week,
    articles,
    mentions,
    title_articles,
    salience,
    days,
    rank,
    prev_articles,
    prev_salience,
    prev_rank,
    row_number() over (partition by week order by salience - coalesce(prev_salience, 0) desc, salience desc,
                       name, type) as rise_rank
from compared;

create unique index entity_weekly_key on reporting.entity_weekly (entity_id, week);
create index entity_weekly_week_rank_idx on reporting.entity_weekly (week, rank);
create index entity_weekly_week_rise_idx on reporting.entity_weekly (week, rise_rank);
