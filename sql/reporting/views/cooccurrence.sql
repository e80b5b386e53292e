-- reporting.cooccurrence: one row per pair of entities that lead stories together
-- (reporting.entity_pairs with names): stories together, stories of each, lift and PMI.
create or replace view reporting.cooccurrence as
with entity_pairs as (
    select entity_a_id, entity_b_id, articles, articles_a, articles_b, stories, lift, pmi
    from reporting.entity_pairs
),

entities as not materialized (
    select entity_id, name, type
    from public.entities
)

select
    p.entity_a_id,
    ea.name as entity_a,
    ea.type as type_a,
    p.entity_b_id,
    eb.name as entity_b,
    eb.type as type_b,
    p.articles,
    p.articles_a,
    p.articles_b,
    p.stories,
    round(p.lift::numeric, 3) as lift,
    round(p.pmi::numeric, 3) as pmi
from entity_pairs as p
join entities as ea on ea.entity_id = p.entity_a_id
join entities as eb on eb.entity_id = p.entity_b_id;
