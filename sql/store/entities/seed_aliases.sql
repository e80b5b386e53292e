-- seed aliases (seeds/entity_aliases.csv): one row per spelling and mention label; canonical
-- entities are created when missing; seed rows the file no longer holds are deleted. A manual alias
-- of the same spelling and label is never overwritten; re-running changes nothing. Every row added,
-- changed or deleted queues its spelling for the resolution step (trigger entity_aliases_changed).
with seeds as (
    select alias, label, canonical_name, canonical_type
    from unnest(%(aliases)s::text[], %(labels)s::text[], %(names)s::text[], %(types)s::text[])
         as s (alias, label, canonical_name, canonical_type)
),

canonical_names as (
    select distinct canonical_name, canonical_type
    from seeds
),

existing as (
    select e.entity_id, e.name, e.type
    from entities as e
    join canonical_names as c on c.canonical_name = e.name and c.canonical_type = e.type
),

created as (
    insert into entities (name, type)
    select c.canonical_name, c.canonical_type
    from canonical_names as c
    where not exists (select 1 from existing as x where x.name = c.canonical_name and x.type = c.canonical_type)
    on conflict (name, type) do update set name = excluded.name
    returning entity_id, name, type
),

canonical as (
    select entity_id, name, type from existing
    union all
    select entity_id, name, type from created
),

stale as (
    delete from entity_aliases as a
    where a.source = 'seed'
      and not exists (select 1 from seeds as s where s.alias = a.alias and s.label = a.type)
)

insert into entity_aliases (alias, type, entity_id, source)
select s.alias, s.label, c.entity_id, 'seed'
from seeds as s
join canonical as c on c.name = s.canonical_name and c.type = s.canonical_type
on conflict (alias, type) do update
set entity_id = excluded.entity_id,
    source = 'seed'
where entity_aliases.source <> 'manual'
  and (entity_aliases.entity_id, entity_aliases.source) is distinct from (excluded.entity_id, 'seed')
