-- the oldest work of the resolution step: one row per pending article or name key
select pending_id, article_id, name_key, rebuild
from entity_pending
order by pending_id
limit %(limit)s
