-- the articles holding one of these names: one row per article
select distinct article_id
from entity_mentions
where name_key = any(%(keys)s::text[])
order by article_id
