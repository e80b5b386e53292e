-- the short forms each entity of a batch's articles absorbed there, one row per article, short key and
-- long key, in one binary COPY (cleared first with the mentions)
copy entity_short_forms (article_id, short_key, long_key, long_label) from stdin (format binary)
