-- queue every article for the resolution step (after a change of its rules): one pending row per article
insert into entity_pending (article_id)
select article_id
from articles
order by article_id
