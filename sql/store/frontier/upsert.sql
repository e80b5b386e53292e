-- one row per discovered URL: new URLs become pending, known ones are only marked as seen again
-- (an archived copy's locator is kept once known)
insert into frontier (url_hash, url, source_id, entry, last_seen_run_id, host, fetch_from)
select *
from unnest(%(url_hashes)s::text[], %(urls)s::text[], %(source_ids)s::bigint[], %(entries)s::jsonb[],
            %(run_ids)s::bigint[], %(hosts)s::text[], %(fetch_froms)s::text[])
on conflict (url_hash) do update
set last_seen_run_id = excluded.last_seen_run_id,
    entry = frontier.entry || excluded.entry,
    fetch_from = coalesce(frontier.fetch_from, excluded.fetch_from)
returning (xmax = 0) as inserted
