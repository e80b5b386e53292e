-- the stored articles under these keys, one row per article: what a page placed on one of them is
-- compared with before it may land there (etl/store/articles.py, canonical_keys)
select url_hash, article_id, url, canonical_url, content_hash, minhash
from articles
where url_hash = any(%(url_hashes)s::char(64)[])
