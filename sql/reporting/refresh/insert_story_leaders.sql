-- the new leaders of the batch's days' stories that are not there already (identical rows were kept)
insert into reporting.story_leaders (article_id, day, entity_ids)
select n.article_id, n.day, n.entity_ids
from pg_temp.next_leaders as n
where not exists (select 1 from reporting.story_leaders as s where s.article_id = n.article_id)
