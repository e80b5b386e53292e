-- report co-occurrence: one row per pair of entities, the (limit) pairs with most shared stories
-- (then highest lift); reads entity_pairs through its (articles, lift) index
with top_pairs as (
    select entity_a_id, entity_b_id, articles, articles_a, articles_b, lift, pmi
    from reporting.entity_pairs
    order by articles desc, lift desc, entity_a_id, entity_b_id
    limit %(limit)s
),

entities as not materialized (
    select entity_id, name, type
    from public.entities
)

select
    ea.name as entity_a,
    ea.type as type_a,
    eb.name as entity_b,
    eb.type as type_b,
    p.articles,
    p.articles_a,
    p.articles_b,
    round(p.lift::numeric, 3) as lift,
    round(p.pmi::numeric, 3) as pmi
from top_pairs as p
join entities as ea on ea.entity_id = p.entity_a_id
join entities as eb on eb.entity_id = p.entity_b_id
order by p.articles desc, p.lift desc, p.entity_a_id, p.entity_b_id
