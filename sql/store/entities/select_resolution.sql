-- stored decisions: one row per name key that is one of ``keys``, an alias of one of ``alias_of``, or
-- resolved to one of ``canonical``
select name_key, alias_of, canonical_key, entity_id, decided_by
from entity_resolution
where name_key = any(%(keys)s::text[])
   or alias_of = any(%(alias_of)s::text[])
   or canonical_key = any(%(canonical)s::text[])
