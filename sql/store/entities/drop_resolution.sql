-- forget the decisions of name keys no article holds any more
delete from entity_resolution as r
where r.name_key = any(%(keys)s::text[])
  and not exists (select 1 from entity_mentions as m where m.name_key = r.name_key)
