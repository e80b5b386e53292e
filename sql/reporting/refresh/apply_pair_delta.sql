-- the pair totals (entity_a_id < entity_b_id), changed by the stories whose leaders changed: the pairs
-- of their old leaders (rows of the batch's days, and of stories that moved to them from another day)
-- taken away, the pairs of their new ones added
with old_leaders as (
    select article_id, entity_ids
    from reporting.story_leaders
    where day = any(%(days)s::date[])
    union
    select s.article_id, s.entity_ids
    from reporting.story_leaders as s
    join pg_temp.next_leaders as n on n.article_id = s.article_id
),

changed as (
    select o.entity_ids as old_ids, n.entity_ids as new_ids
    from old_leaders as o
    full join pg_temp.next_leaders as n on n.article_id = o.article_id
    where o.entity_ids is distinct from n.entity_ids
),

delta as (
    select a.entity_id as entity_a_id, b.entity_id as entity_b_id, sum(c.sign) as articles
    from changed
    cross join lateral (values (changed.old_ids, -1), (changed.new_ids, 1)) as c (entity_ids, sign)
    cross join lateral unnest(c.entity_ids) as a (entity_id)
    cross join lateral unnest(c.entity_ids) as b (entity_id)
    where b.entity_id > a.entity_id
    group by a.entity_id, b.entity_id
    having sum(c.sign) <> 0
)

insert into reporting.pair_totals (entity_a_id, entity_b_id, articles)
select entity_a_id, entity_b_id, articles
from delta
on conflict (entity_a_id, entity_b_id) do update
set articles = pair_totals.articles + excluded.articles
