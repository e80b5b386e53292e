-- one row per author name asked for: (name, author_id), created when missing
with new_authors as (
    insert into authors (name)
    select distinct unnest(%(names)s::text[])
    on conflict (name) do nothing
    returning name, author_id
)
select name, author_id from new_authors
union all
select name, author_id from authors where name = any(%(names)s::text[])
