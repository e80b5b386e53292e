-- remember the short forms resolved inside articles ("Blinken" -> Antony Blinken): one row per
-- (alias, label). A short form learned for two different entities, in one batch or against an
-- alias learned earlier ("Biden" for Joe and for Hunter Biden), is ambiguous: its learned alias is
-- dropped and it goes to blocked_aliases, so it is never learned again and each article keeps the
-- full name it resolved in-article. Seed and manual aliases are never touched.
with learned as (
    select distinct alias, type, entity_id
    from unnest(%(aliases)s::text[], %(types)s::text[], %(entity_ids)s::bigint[]) as l (alias, type, entity_id)
),

stored as (
    select a.alias, a.type, a.entity_id
    from entity_aliases as a
    where a.source = 'learned'
      and exists (select 1 from learned as l where l.alias = a.alias and l.type = a.type)
),

candidates as (
    select alias, type, entity_id from learned
    union
    select alias, type, entity_id from stored
),

conflicts as (
    select alias, type, array_agg(entity_id order by entity_id) as entity_ids
    from candidates
    group by alias, type
    having count(*) > 1
),

blocked as (
    insert into blocked_aliases (alias, type, entity_ids)
    select alias, type, entity_ids
    from conflicts
    on conflict (alias, type) do nothing
),

dropped as (
    delete from entity_aliases as a
    using conflicts as c
    where a.alias = c.alias
      and a.type = c.type
      and a.source = 'learned'
)

insert into entity_aliases (alias, type, entity_id, source)
select l.alias, l.type, l.entity_id, 'learned'
from learned as l
where not exists (select 1 from conflicts as c where c.alias = l.alias and c.type = l.type)
  and not exists (select 1 from blocked_aliases as b where b.alias = l.alias and b.type = l.type)
on conflict (alias, type) do nothing
