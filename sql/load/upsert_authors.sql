-- one row per author name; returns the ids of all names asked for
with new_authors as (
    insert into authors (name)
    select distinct unnest(%(names)s::text[])
    on conflict (name) do nothing
    returning author_id, name
)
select author_id, name from new_authors
union all
select author_id, name from authors where name = any(%(names)s::text[])
