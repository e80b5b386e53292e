-- map the (name, label) pairs of a batch to entity ids: one row per pair. A known alias wins:
-- its exact spelling first, else the same letters in another case unless either side is all
-- capitals ("US" is not "Us", "WHO" is not "Who"); a manual alias beats a seed, a seed a learned one.
-- Otherwise the entity of that name and type, created when missing (a concurrent batch creating
-- it too is waited for and its row returned).
with wanted as (
    select distinct name, type
    from unnest(%(names)s::text[], %(types)s::text[]) as w (name, type)
),

exact_aliases as (
    select w.name, w.type, a.entity_id
    from wanted as w
    join entity_aliases as a on a.alias = w.name and a.type = w.type
),

case_aliases as (
    select distinct on (w.name, w.type)
        w.name,
        w.type,
        a.entity_id
    from wanted as w
    join entity_aliases as a on lower(a.alias) = lower(w.name) and a.type = w.type
    where w.name <> upper(w.name)
      and a.alias <> upper(a.alias)
      and not exists (select 1 from exact_aliases as x where x.name = w.name and x.type = w.type)
    order by w.name, w.type, case a.source when 'manual' then 0 when 'seed' then 1 else 2 end, a.alias
),

aliased as (
    select name, type, entity_id from exact_aliases
    union all
    select name, type, entity_id from case_aliases
),

unaliased as (
    select w.name, w.type
    from wanted as w
    where not exists (select 1 from aliased as a where a.name = w.name and a.type = w.type)
),

existing as (
    select e.name, e.type, e.entity_id
    from entities as e
    join unaliased as u on u.name = e.name and u.type = e.type
),

created as (
    insert into entities (name, type)
    select u.name, u.type
    from unaliased as u
    where not exists (select 1 from existing as x where x.name = u.name and x.type = u.type)
    on conflict (name, type) do update set name = excluded.name
    returning name, type, entity_id
)

select name, type, entity_id from aliased
union all
select name, type, entity_id from existing
union all
select name, type, entity_id from created
