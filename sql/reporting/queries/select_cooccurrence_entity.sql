-- report co-occurrence --entity NAME: one row per pair that includes an entity whose name or alias
-- is NAME (any case; or a name the resolution step resolved to it: "Trump" finds Donald Trump), most
-- shared stories first (then highest lift), at most (limit) rows
with named as (
    select entity_id
    from public.entities
    where lower(name) = lower(%(entity)s)
),

aliased as (
    select entity_id
    from public.entity_aliases
    where lower(alias) = lower(%(entity)s)
),

resolved as (
    select entity_id
    from public.entity_resolution
    where name_key = entity_key(%(entity)s)
      and entity_id is not null
),

matches as (
    select entity_id from named
    union
    select entity_id from aliased
    union
    select entity_id from resolved
),

pairs as (
    select p.entity_a_id, p.entity_b_id, p.articles, p.articles_a, p.articles_b, p.lift, p.pmi
    from matches as m
    cross join lateral (
        select entity_a_id, entity_b_id, articles, articles_a, articles_b, lift, pmi
        from reporting.entity_pairs
        where entity_a_id = m.entity_id
        union
        select entity_a_id, entity_b_id, articles, articles_a, articles_b, lift, pmi
        from reporting.entity_pairs
        where entity_b_id = m.entity_id
    ) as p
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
from pairs as p
join entities as ea on ea.entity_id = p.entity_a_id
join entities as eb on eb.entity_id = p.entity_b_id
order by p.articles desc, p.lift desc, p.entity_a_id, p.entity_b_id
limit %(limit)s
