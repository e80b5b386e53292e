-- one article that had claimed another page's URL with another story goes to its own URL's key,
-- the canonical it claimed recorded (the page at that URL is loaded next under the freed key)
update articles
set url_hash = %(url_hash)s,
    canonical_url = %(canonical_url)s,
    conflicting_canonical_url = %(conflicting_canonical_url)s,
    updated_at = now()
where article_id = %(article_id)s
