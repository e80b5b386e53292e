-- entity_daily for the batch's days: one row per entity and day on which stories mention it, with its
-- rank of the day and the day before's figures (from this batch when the day before is in it, else
-- from the rows already there). Written where it changed: rows no story backs any more deleted, new
-- ones inserted, changed ones updated, equal ones left alone (a rebuild of unchanged days writes nothing).
with days as (
    select distinct d as day
    from unnest(%(days)s::date[]) as d
),

stories as (
    select article_id, day
    from reporting.stories
    where day = any(%(days)s::date[])
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
    from stories as s
    cross join lateral (  -- by the key of each story (a batch holds a small share of all stories)
        select entity_id, mention_count, in_title, salience
        from public.article_entities as l
        where l.article_id = s.article_id
        offset 0  -- kept apart: a probe of the key per story, never a scan of all the links
    ) as ae
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

previous as (
    select entity_id, day, articles, salience, rank
    from ranked
    union all
    select entity_id, day, articles, salience, rank
    from reporting.entity_daily
    where day = any(array(select day - 1 from days except select day from days))
),

computed as materialized (
    select
        r.entity_id,
        r.day,
        r.articles,
        r.mentions,
        r.title_articles,
        r.salience,
        r.rank,
        p.articles as prev_articles,
        p.salience as prev_salience,
        p.rank as prev_rank
    from ranked as r
    left join previous as p on p.entity_id = r.entity_id and p.day = r.day - 1
),

vanished as (
    delete from reporting.entity_daily as d
    where d.day = any(%(days)s::date[])
      and not exists (select 1 from computed as c where c.entity_id = d.entity_id and c.day = d.day)
)

merge into reporting.entity_daily as d
using computed as c
on d.entity_id = c.entity_id and d.day = c.day and d.day = any(%(days)s::date[])
when matched and (d.articles, d.mentions, d.title_articles, d.salience, d.rank, d.prev_articles, d.prev_salience,
                  d.prev_rank)
                 is distinct from (c.articles, c.mentions, c.title_articles, c.salience, c.rank, c.prev_articles,
                                   c.prev_salience, c.prev_rank) then
    update set articles = c.articles,
               mentions = c.mentions,
               title_articles = c.title_articles,
               salience = c.salience,
               rank = c.rank,
               prev_articles = c.prev_articles,
               prev_salience = c.prev_salience,
               prev_rank = c.prev_rank
when not matched then
    insert (entity_id, day, articles, mentions, title_articles, salience, rank, prev_articles, prev_salience, prev_rank)
    values (c.entity_id, c.day, c.articles, c.mentions, c.title_articles, c.salience, c.rank, c.prev_articles,
            c.prev_salience, c.prev_rank)
