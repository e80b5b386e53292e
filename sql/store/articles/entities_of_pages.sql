-- the article each fetched page became, with its entities (none: one row of nulls), by the pages'
-- fetch keys. Grain: one row per page and entity, most salient first.
select r.url_hash, a.title, a.text, a.language, e.name, e.type, ae.mention_count, ae.salience
from raw_pages as r
join articles as a on a.raw_page_id = r.raw_page_id
left join article_entities as ae on ae.article_id = a.article_id
left join entities as e on e.entity_id = ae.entity_id
where r.url_hash = any(%(hashes)s)
order by r.url_hash, ae.salience desc nulls last, e.name
