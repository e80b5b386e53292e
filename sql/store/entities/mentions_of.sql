-- the stored mentions of these articles: one row per article and name key
select article_id, name_key, name, label, mention_count, first_offset, in_title, salience
from entity_mentions
where article_id = any(%(article_ids)s::bigint[])
