-- entity_weekly for the weeks holding the batch's days (ISO weeks, named by their Monday): the week's
-- entity_daily rows summed, the rank of the week, the week before's figures (from this batch when that
-- week is in it, else from the rows already there) and the rise rank (salience gained over it).
-- Written where it changed, as merge_entity_daily.sql.
with weeks as (
    select distinct date_trunc('week', d::timestamp)::date as week
    from unnest(%(days)s::date[]) as d
),

entity_daily as (
    select entity_id, day, articles, mentions, title_articles, salience
    from reporting.entity_daily
    where day = any(array(select w.week + i from weeks as w cross join generate_series(0, 6) as i))
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

previous as (
    select entity_id, week, articles, salience, rank
    from ranked
    union all
    select entity_id, week, articles, salience, rank
    from reporting.entity_weekly
    where week = any(array(select week - 7 from weeks except select week from weeks))
),

compared as (
    select
        r.entity_id,
        r.week,
        r.articles,
        r.mentions,
        r.title_articles,
        r.salience,
        r.days,
        r.name,
        r.type,
        r.rank,
        p.articles as prev_articles,
        p.salience as prev_salience,
        p.rank as prev_rank
    from ranked as r
    left join previous as p on p.entity_id = r.entity_id and p.week = r.week - 7
),

computed as materialized (
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
    from compared
),

vanished as (
    delete from reporting.entity_weekly as w
    where w.week = any(array(select week from weeks))
      and not exists (select 1 from computed as c where c.entity_id = w.entity_id and c.week = w.week)
)

merge into reporting.entity_weekly as w
using computed as c
on w.entity_id = c.entity_id and w.week = c.week and w.week = any(array(select week from weeks))
when matched and (w.articles, w.mentions, w.title_articles, w.salience, w.days, w.rank, w.prev_articles,
                  w.prev_salience, w.prev_rank, w.rise_rank)
                 is distinct from (c.articles, c.mentions, c.title_articles, c.salience, c.days, c.rank,
                                   c.prev_articles, c.prev_salience, c.prev_rank, c.rise_rank) then
    update set articles = c.articles,
               mentions = c.mentions,
               title_articles = c.title_articles,
               salience = c.salience,
               days = c.days,
               rank = c.rank,
               prev_articles = c.prev_articles,
               prev_salience = c.prev_salience,
               prev_rank = c.prev_rank,
               rise_rank = c.rise_rank
when not matched then
    insert (entity_id, week, articles, mentions, title_articles, salience, days, rank, prev_articles, prev_salience,
            prev_rank, rise_rank)
    values (c.entity_id, c.week, c.articles, c.mentions, c.title_articles, c.salience, c.days, c.rank,
            c.prev_articles, c.prev_salience, c.prev_rank, c.rise_rank)
