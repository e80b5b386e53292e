-- store decisions of the resolution step: one row per name key (rows that did not change are not
-- rewritten)
insert into entity_resolution (name_key, alias_of, canonical_key, entity_id, decided_by)
select *
from unnest(%(keys)s::text[], %(alias_of)s::text[], %(canonical)s::text[], %(entity_ids)s::bigint[],
            %(decided_by)s::text[])
order by 1
on conflict (name_key) do update
set alias_of = excluded.alias_of,
    canonical_key = excluded.canonical_key,
    entity_id = excluded.entity_id,
    decided_by = excluded.decided_by,
    resolved_at = now()
where (entity_resolution.alias_of, entity_resolution.canonical_key, entity_resolution.entity_id,
       entity_resolution.decided_by)
      is distinct from (excluded.alias_of, excluded.canonical_key, excluded.entity_id, excluded.decided_by)
