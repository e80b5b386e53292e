-- one row per fetched URL: the latest bytes, queued for extraction (again only when they changed)
insert into raw_pages (url_hash, url, final_url, source_id, status_code, headers, content_type,
                       body_gz, body_bytes, body_sha256, run_id, redirects)
values (%(url_hash)s, %(url)s, %(final_url)s, %(source_id)s, %(status_code)s, %(headers)s,
        %(content_type)s, %(body_gz)s, %(body_bytes)s, %(body_sha256)s, %(run_id)s, %(redirects)s)
on conflict (url_hash) do update
set final_url = excluded.final_url,
    status_code = excluded.status_code,
    headers = excluded.headers,
    content_type = excluded.content_type,
    body_gz = excluded.body_gz,
    body_bytes = excluded.body_bytes,
    body_sha256 = excluded.body_sha256,
    run_id = excluded.run_id,
    redirects = excluded.redirects,
    fetched_at = now(),
    process_status = case when raw_pages.body_sha256 = excluded.body_sha256
                          then raw_pages.process_status else 'pending' end
