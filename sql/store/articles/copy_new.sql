-- a batch's new articles (ids taken by new_ids), in one binary COPY: no key of them is stored (checked
-- under the dedup lock by etl/store/articles.py, canonical_keys), so nothing can conflict
copy articles (article_id, url_hash, url, canonical_url, conflicting_canonical_url, source_id, raw_page_id, title,
               description, text, language, published_at, published_date, published_precision, modified_at,
               word_count, content_hash, minhash, duplicate_of, site_name, section, top_image, agency, extractor,
               extractor_version, run_id)
from stdin (format binary)
