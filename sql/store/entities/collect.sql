-- delete the entities among these that nothing names any more (no article link, alias or decision)
delete from entities as e
where e.entity_id = any(%(entity_ids)s::bigint[])
  and not exists (select 1 from article_entities as ae where ae.entity_id = e.entity_id)
  and not exists (select 1 from entity_aliases as a where a.entity_id = e.entity_id)
  and not exists (select 1 from entity_resolution as r where r.entity_id = e.entity_id)
