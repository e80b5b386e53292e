-- the entity ids of (name, type) pairs, created when missing: one row per pair (a concurrent
-- transaction creating one too is waited for; the caller asks again for what is still missing)
with wanted as (
    select distinct name, type
    from unnest(%(names)s::text[], %(types)s::text[]) as w (name, type)
),

existing as (
    select e.name, e.type, e.entity_id
    from entities as e
    join wanted as w on w.name = e.name and w.type = e.type
),

created as (
    insert into entities (name, type)
    select w.name, w.type
    from wanted as w
    where not exists (select 1 from existing as x where x.name = w.name and x.type = w.type)
    order by w.name, w.type
    on conflict (name, type) do nothing
    returning name, type, entity_id
)

select name, type, entity_id from existing
union all
select name, type, entity_id from created
