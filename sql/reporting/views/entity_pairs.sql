-- reporting.entity_pairs: one row per pair of entities (entity_a_id < entity_b_id) found together
-- among the 5 most salient entities of a story (ties by name). Over the stories with entities (n):
-- lift = articles * n / (articles_a * articles_b), how much more often the two meet than if they
-- were independent; pmi = ln(lift). Only the 5 most salient entities of each story count, so a pair
-- means "the story is about both" and a story adds at most 10 pairs. Pairs found in a single story
-- are dropped once the warehouse holds 1,000 stories with entities (they are most pairs, and noise);
-- a smaller warehouse keeps them. Read from the totals the refresh maintains per day
-- (reporting.pair_totals, leader_totals, leader_days: sql/reporting/refresh/). Written without CTEs
-- on purpose: so the planner reads the top pairs in the order of pair_totals' (articles desc) index,
-- sorting only the ties by lift (0.6 ms instead of 90 ms on 100,000 stories), and n is computed once
-- (an init plan, not a join) whose threshold filters that scan.
create or replace view reporting.entity_pairs as
select
    p.entity_a_id,
    p.entity_b_id,
    p.articles,
    ca.articles as articles_a,
    cb.articles as articles_b,
    t.stories,
    p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles) as lift,
    ln(p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles)) as pmi
from reporting.pair_totals as p
cross join lateral (select (select coalesce(sum(d.stories), 0)::bigint from reporting.leader_days as d) as stories) as t
join reporting.leader_totals as ca on ca.entity_id = p.entity_a_id
join reporting.leader_totals as cb on cb.entity_id = p.entity_b_id
where p.articles >= case when t.stories >= 1000 then 2 else 1 end;
