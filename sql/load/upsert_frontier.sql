-- one row per discovered URL: new URLs become pending, known ones are only marked as seen again
insert into frontier (url_hash, url, source_id, entry, last_seen_run_id)
select *
from unnest(%(url_hashes)s::text[], %(urls)s::text[], %(source_ids)s::bigint[], %(entries)s::jsonb[],
            %(run_ids)s::bigint[])
on conflict (url_hash) do update
set last_seen_run_id = excluded.last_seen_run_id,
    entry = frontier.entry || excluded.entry
returning (xmax = 0) as inserted
