-- one row per unusable input
insert into rejects (run_id, source_id, url, url_hash, stage, reason, detail)
select *
from unnest(%(run_ids)s::bigint[], %(source_ids)s::bigint[], %(urls)s::text[], %(url_hashes)s::text[],
            %(stages)s::text[], %(reasons)s::text[], %(details)s::text[])
