-- the week after each of the batch's weeks (unless in the batch, or holding a dirty day: its own batch
-- computes it whole): its rows' figures of the week before, taken again from the rows just computed,
-- and its rise ranks, which depend on them
with weeks as (
    select distinct date_trunc('week', d::timestamp)::date as week
    from unnest(%(days)s::date[]) as d
),

next_weeks as (
    select week + 7 as week
    from weeks
    except
    select week
    from weeks
    except
    select date_trunc('week', day::timestamp)::date
    from reporting.dirty_days
),

entities as (
    select entity_id, name, type
    from public.entities
),

compared as (
    select
        n.entity_id,
        n.week,
        n.salience,
        e.name,
        e.type,
        p.articles as prev_articles,
        p.salience as prev_salience,
        p.rank as prev_rank
    from reporting.entity_weekly as n
    join entities as e on e.entity_id = n.entity_id
    left join reporting.entity_weekly as p
        on p.entity_id = n.entity_id and p.week = n.week - 7 and p.week = any(array(select week - 7 from next_weeks))
    where n.week = any(array(select week from next_weeks))
),

ranked as (
    select
        entity_id,
        week,
        prev_articles,
        prev_salience,
        prev_rank,
        row_number() over (partition by week order by salience - coalesce(prev_salience, 0) desc, salience desc,
                           name, type) as rise_rank
    from compared
)

update reporting.entity_weekly as w
set prev_articles = r.prev_articles,
    prev_salience = r.prev_salience,
    prev_rank = r.prev_rank,
    rise_rank = r.rise_rank
from ranked as r
where w.entity_id = r.entity_id
  and w.week = r.week
  and w.week = any(array(select week from next_weeks))
  and (w.prev_articles, w.prev_salience, w.prev_rank, w.rise_rank)
      is distinct from (r.prev_articles, r.prev_salience, r.prev_rank, r.rise_rank)
