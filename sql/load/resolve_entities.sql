-- map (name, type) pairs to entity ids: a known alias wins, else the entity is created
with wanted as (
    select distinct name, type
    from unnest(%(names)s::text[], %(types)s::text[]) as w (name, type)
),
aliased as (
    select w.name, w.type, a.entity_id
    from wanted as w
    join entity_aliases as a on lower(a.alias) = lower(w.name) and a.type = w.type
),
new_entities as (
    insert into entities (name, type)
    select w.name, w.type
    from wanted as w
    where not exists (select 1 from aliased as a where a.name = w.name and a.type = w.type)
    on conflict (name, type) do nothing
    returning entity_id, name, type
)
select name, type, entity_id from aliased
union all
select name, type, entity_id from new_entities
union all
select e.name, e.type, e.entity_id
from entities as e
join wanted as w on w.name = e.name and w.type = e.type
where not exists (select 1 from aliased as a where a.name = w.name and a.type = w.type)
