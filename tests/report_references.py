"""The report aggregates as the materialized views of revisions 0002-0006 defined them, kept as reference queries.

Revision 0007 made ``reporting.entity_daily``, ``entity_weekly`` and the co-occurrence totals behind
``entity_pairs`` tables maintained per dirty day. These are the old definitions, verbatim (their
``select``, without ``create materialized view``), over the warehouse's tables as they stand: an
incremental refresh and a full rebuild must both give exactly their rows (tests/test_report_refresh.py).
"""

from __future__ import annotations

# reporting.entity_daily (materialized) of sql/reporting/views/entity_daily.sql before revision 0007
ENTITY_DAILY = """
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
from with_previous
"""

# reporting.entity_weekly (materialized) before revision 0007; it read reporting.entity_daily, here the
# reference daily rows above (``reference_daily``)
ENTITY_WEEKLY = (
    "with reference_daily as ("
    + ENTITY_DAILY
    + """)
select * from (
with entity_daily as (
    select entity_id, day, articles, mentions, title_articles, salience
    from reference_daily
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
from compared
) as weekly"""
)

# reporting.entity_pairs (materialized) before revision 0007
ENTITY_PAIRS = """
with stories as (
    select article_id
    from reporting.stories
),

article_entities as (
    select article_id, entity_id, salience
    from public.article_entities
),

entities as (
    select entity_id, name, type
    from public.entities
),

ranked as (
    select
        ae.article_id,
        ae.entity_id,
        row_number() over (partition by ae.article_id order by ae.salience desc, e.name, e.type) as position
    from article_entities as ae
    join stories as s on s.article_id = ae.article_id
    join entities as e on e.entity_id = ae.entity_id
),

leading_entities as (
    select article_id, entity_id
    from ranked
    where position <= 5
),

totals as (
    select count(distinct article_id) as stories
    from leading_entities
),

entity_counts as (
    select entity_id, count(*) as articles
    from leading_entities
    group by entity_id
),

pairs as (
    select
        a.entity_id as entity_a_id,
        b.entity_id as entity_b_id,
        count(*) as articles
    from leading_entities as a
    join leading_entities as b on b.article_id = a.article_id and b.entity_id > a.entity_id
    group by a.entity_id, b.entity_id
    having count(*) >= case when (select stories from totals) >= 1000 then 2 else 1 end
)

select
    p.entity_a_id,
    p.entity_b_id,
    p.articles,
    ca.articles as articles_a,
    cb.articles as articles_b,
    t.stories,
    p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles) as lift,
    ln(p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles)) as pmi
from pairs as p
join entity_counts as ca on ca.entity_id = p.entity_a_id
join entity_counts as cb on cb.entity_id = p.entity_b_id
cross join totals as t
"""

# (reference query, the report object it must equal, its key columns)
REFERENCES = {
    "entity_daily": (ENTITY_DAILY, "reporting.entity_daily", ("entity_id", "day")),
    "entity_weekly": (ENTITY_WEEKLY, "reporting.entity_weekly", ("entity_id", "week")),
    "entity_pairs": (ENTITY_PAIRS, "reporting.entity_pairs", ("entity_a_id", "entity_b_id")),
}
