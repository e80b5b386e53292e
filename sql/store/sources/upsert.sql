-- one row per source name: create or update from the sources file
insert into sources (name, kind, location, options)
values (%(name)s, %(kind)s, %(location)s, %(options)s)
on conflict (name) do update
set kind = excluded.kind,
    location = excluded.location,
    options = excluded.options,
    updated_at = case
        when (sources.kind, sources.location, sources.options)
             is distinct from (excluded.kind, excluded.location, excluded.options)
        then now() else sources.updated_at end
returning source_id
