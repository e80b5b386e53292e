-- every article's title, text and language, with the fetch key of the page it came from.
-- Grain: one row per article.
select a.article_id, a.title, a.text, a.language, r.url_hash
from articles as a
left join raw_pages as r on r.raw_page_id = a.raw_page_id
order by a.article_id
