-- one row per HTTP attempt (or refusal before one: attempt 0) of a run
insert into fetch_log (run_id, url, host, purpose, attempt, status_code, error_class, reason, bytes,
                       elapsed_ms, conditional)
select %(run_id)s, *
from unnest(%(urls)s::text[], %(hosts)s::text[], %(purposes)s::text[], %(attempts)s::integer[],
            %(status_codes)s::integer[], %(error_classes)s::text[], %(reasons)s::text[],
            %(bytes)s::integer[], %(elapsed_ms)s::integer[], %(conditionals)s::boolean[])
