-- reporting.entity_daily (materialized): one row per entity and day on which stories mention it:
-- stories, mentions, stories with it in the title, summed salience (each story's shares of its
-- entities sum to 1, so this is "how many stories' worth" of the day is about it), its rank among
-- the day's entities by salience (1 = most salient; ties by name, so ranks never depend on entity
-- ids), and the same figures of the day before (null when not mentioned that day). Refreshed by the news_reports DAG (CONCURRENTLY: readers are never blocked).
create materialized view reporting.entity_daily as
with stories as (
    select article_id, day
    from reporting.stories
),

article_entities as (
    select article_id, entity_id, mention_count, in_title, salience
    from public.article_entities
),

entities as (
    select entity_id, name, type
    from public.entities
),

daily as (
    select
        ae.entity_id,
        s.day,
        count(*) as articles,
        sum(ae.mention_count) as mentions,
        count(*) filter (where ae.in_title) as title_articles,
        sum(ae.salience::float8) as salience
    from article_entities as ae
    join stories as s on s.article_id = ae.article_id
    group by ae.entity_id, s.day
),

ranked as (
    select
        d.entity_id,
        d.day,
        d.articles,
        d.mentions,
        d.title_articles,
        d.salience,
        row_number() over (partition by d.day order by d.salience desc, d.articles desc, e.name, e.type) as rank
    from daily as d
    join entities as e on e.entity_id = d.entity_id
),

with_previous as (
    select
        entity_id,
        day,
        articles,
        mentions,
        title_articles,
        salience,
        rank,
        lag(day) over by_entity as prev_day,
        lag(articles) over by_entity as prev_day_articles,
        lag(salience) over by_entity as prev_day_salience,
        lag(rank) over by_entity as prev_day_rank
    from ranked
    window by_entity as (partition by entity_id order by day)
)

select
    entity_id,
    day,
    articles,
    mentions,
    title_articles,
    salience,
    rank,
    case when prev_day = day - 1 then prev_day_articles end as prev_articles,
    case when prev_day = day - 1 then prev_day_salience end as prev_salience,
    case when prev_day = day - 1 then prev_day_rank end as prev_rank
from with_previous;

create unique index entity_daily_key on reporting.entity_daily (entity_id, day);
create index entity_daily_day_rank_idx on reporting.entity_daily (day, rank);
