-- a batch's articles in one statement, one row per canonical URL: insert, or update what a newer
-- extraction says. Rows go in batch order, so new articles get their ids in that order (of two copies
-- of a story in one batch, the earlier page has the lower id: it is the original). duplicate_of is the
-- near-duplicate step's (store_lsh_bands), set after this.
insert into articles (url_hash, url, canonical_url, conflicting_canonical_url, source_id, raw_page_id, title,
                      description, text, language, published_at, published_date, published_precision,
                      modified_at, word_count, content_hash, minhash, site_name, section, top_image, agency,
                      extractor, extractor_version, run_id)
select b.url_hash, b.url, b.canonical_url, b.conflicting_canonical_url, b.source_id, b.raw_page_id, b.title,
       b.description, b.text, b.language, b.published_at, b.published_date, b.published_precision,
       b.modified_at, b.word_count, b.content_hash, b.minhash, b.site_name, b.section, b.top_image, b.agency,
       b.extractor, b.extractor_version, %(run_id)s::bigint
from unnest(%(url_hashes)s::char(64)[], %(urls)s::text[], %(canonical_urls)s::text[],
            %(conflicting_canonical_urls)s::text[], %(source_ids)s::bigint[], %(raw_page_ids)s::bigint[],
            %(titles)s::text[], %(descriptions)s::text[], %(texts)s::text[], %(languages)s::char(2)[],
            %(published_at)s::timestamptz[], %(published_dates)s::date[], %(published_precisions)s::text[],
            %(modified_at)s::timestamptz[], %(word_counts)s::integer[], %(content_hashes)s::char(64)[],
            %(minhashes)s::bytea[], %(site_names)s::text[], %(sections)s::text[], %(top_images)s::text[],
            %(agencies)s::text[], %(extractors)s::text[], %(extractor_versions)s::text[])
    with ordinality as b (url_hash, url, canonical_url, conflicting_canonical_url, source_id, raw_page_id, title,
                          description, text, language, published_at, published_date, published_precision,
                          modified_at, word_count, content_hash, minhash, site_name, section, top_image, agency,
                          extractor, extractor_version, position)
order by b.position
on conflict (url_hash) do update
set url = excluded.url,
    canonical_url = excluded.canonical_url,
    conflicting_canonical_url = excluded.conflicting_canonical_url,
    raw_page_id = excluded.raw_page_id,
    title = excluded.title,
    description = excluded.description,
    text = excluded.text,
    language = excluded.language,
    published_at = excluded.published_at,
    published_date = excluded.published_date,
    published_precision = excluded.published_precision,
    modified_at = excluded.modified_at,
    word_count = excluded.word_count,
    content_hash = excluded.content_hash,
    minhash = excluded.minhash,
    site_name = excluded.site_name,
    section = excluded.section,
    top_image = excluded.top_image,
    agency = excluded.agency,
    extractor = excluded.extractor,
    extractor_version = excluded.extractor_version,
    run_id = excluded.run_id,
    updated_at = now()
returning url_hash, article_id, (xmax = 0) as inserted
