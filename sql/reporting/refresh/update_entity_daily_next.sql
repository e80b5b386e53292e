-- the day after each of the batch's days (unless in the batch, or dirty: its own batch computes it
-- whole): its rows' figures of the day before, taken again from the rows just computed (null where the
-- entity was not mentioned then)
with days as (
    select distinct d as day
    from unnest(%(days)s::date[]) as d
),

next_days as (
    select day + 1 as day
    from days
    except
    select day
    from days
    except
    select day
    from reporting.dirty_days
),

previous as (
    select n.entity_id, n.day, p.articles, p.salience, p.rank
    from reporting.entity_daily as n
    left join reporting.entity_daily as p
        on p.entity_id = n.entity_id and p.day = n.day - 1 and p.day = any(array(select day - 1 from next_days))
    where n.day = any(array(select day from next_days))
)

update reporting.entity_daily as d
set prev_articles = p.articles,
    prev_salience = p.salience,
    prev_rank = p.rank
from previous as p
where d.entity_id = p.entity_id
  and d.day = p.day
  and d.day = any(array(select day from next_days))
  and (d.prev_articles, d.prev_salience, d.prev_rank) is distinct from (p.articles, p.salience, p.rank)
