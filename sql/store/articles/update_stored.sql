-- a batch's articles already stored (a re-run, a newer extraction), in one statement: what the new
-- extraction says, and the earliest copy of the story it now points at (null: it is the first)
update articles as a
set url = b.url,
    canonical_url = b.canonical_url,
    conflicting_canonical_url = b.conflicting_canonical_url,
    raw_page_id = b.raw_page_id,
    title = b.title,
    description = b.description,
    text = b.text,
    language = b.language,
    published_at = b.published_at,
    published_date = b.published_date,
    published_precision = b.published_precision,
    modified_at = b.modified_at,
    word_count = b.word_count,
    content_hash = b.content_hash,
    minhash = b.minhash,
    duplicate_of = b.duplicate_of,
    site_name = b.site_name,
    section = b.section,
    top_image = b.top_image,
    agency = b.agency,
    extractor = b.extractor,
    extractor_version = b.extractor_version,
    run_id = %(run_id)s::bigint,
    updated_at = now()
from unnest(%(article_ids)s::bigint[], %(urls)s::text[], %(canonical_urls)s::text[],
            %(conflicting_canonical_urls)s::text[], %(raw_page_ids)s::bigint[], %(titles)s::text[],
            %(descriptions)s::text[], %(texts)s::text[], %(languages)s::char(2)[], %(published_at)s::timestamptz[],
            %(published_dates)s::date[], %(published_precisions)s::text[], %(modified_at)s::timestamptz[],
            %(word_counts)s::integer[], %(content_hashes)s::char(64)[], %(minhashes)s::bytea[],
            %(duplicate_of)s::bigint[], %(site_names)s::text[], %(sections)s::text[], %(top_images)s::text[],
            %(agencies)s::text[], %(extractors)s::text[], %(extractor_versions)s::text[])
    as b (article_id, url, canonical_url, conflicting_canonical_url, raw_page_id, title, description, text, language,
          published_at, published_date, published_precision, modified_at, word_count, content_hash, minhash,
          duplicate_of, site_name, section, top_image, agency, extractor, extractor_version)
where a.article_id = b.article_id
