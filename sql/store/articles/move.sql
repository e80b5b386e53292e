-- articles that had claimed another page's URL with another story go to their own URL's key, the
-- canonical they claimed recorded (the pages at those URLs are loaded next under the freed keys);
-- one statement per batch
update articles as a
set url_hash = m.url_hash,
    canonical_url = m.canonical_url,
    conflicting_canonical_url = m.conflicting_canonical_url,
    updated_at = now()
from unnest(%(article_ids)s::bigint[], %(url_hashes)s::char(64)[], %(canonical_urls)s::text[],
            %(conflicting_canonical_urls)s::text[]) as m (article_id, url_hash, canonical_url, conflicting_canonical_url)
where a.article_id = m.article_id
