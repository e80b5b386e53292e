-- blocklist seeds (seeds/entity_blocklist.csv): one row per name key and what it blocks; seed rows
-- the file no longer holds are deleted; manual rows are never touched (a manual row of the same
-- key wins). Re-running changes nothing. Every row added or deleted queues its name for the
-- resolution step (trigger entity_blocklist_changed).
with seeds as (
    select distinct on (entity_key(name), blocks) name, blocks, note
    from unnest(%(names)s::text[], %(blocks)s::text[], %(notes)s::text[]) as s (name, blocks, note)
    order by entity_key(name), blocks, name
),

stale as (
    delete from entity_blocklist as b
    where b.source = 'seed'
      and not exists (select 1 from seeds as s where entity_key(s.name) = b.name_key and s.blocks = b.blocks)
)

insert into entity_blocklist (name, blocks, source, note)
select name, blocks, 'seed', note
from seeds
order by entity_key(name), blocks
on conflict (name_key, blocks) do nothing
