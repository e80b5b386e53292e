-- one row per canonical URL: insert, or update what a newer extraction says
insert into articles (url_hash, url, canonical_url, source_id, raw_page_id, title, description, text,
                      language, published_at, published_date, published_precision, modified_at,
                      word_count, content_hash, minhash, site_name, section, top_image, agency,
                      extractor, extractor_version, run_id)
values (%(url_hash)s, %(url)s, %(canonical_url)s, %(source_id)s, %(raw_page_id)s, %(title)s,
        %(description)s, %(text)s, %(language)s, %(published_at)s, %(published_date)s,
        %(published_precision)s, %(modified_at)s, %(word_count)s, %(content_hash)s, %(minhash)s,
        %(site_name)s, %(section)s, %(top_image)s, %(agency)s, %(extractor)s, %(extractor_version)s,
        %(run_id)s)
on conflict (url_hash) do update
set url = excluded.url,
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
returning article_id, (xmax = 0) as inserted
