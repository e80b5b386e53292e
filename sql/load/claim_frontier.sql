-- lease up to %(limit)s pending URLs to one worker; SKIP LOCKED lets many workers claim at once,
-- an expired lease (dead worker) makes a URL claimable again
update frontier as f
set claimed_by = %(worker)s,
    claim_expires_at = now() + make_interval(secs => %(lease_seconds)s),
    fetch_attempts = f.fetch_attempts + 1
where f.url_hash in (
    select url_hash
    from frontier
    where status = 'pending'
      and (claim_expires_at is null or claim_expires_at < now())
      and (%(source_ids)s::bigint[] is null or source_id = any(%(source_ids)s::bigint[]))
    order by discovered_at, url_hash
    limit %(limit)s
    for update skip locked
)
returning f.url_hash, f.url, f.source_id, f.entry
