-- record one refresh of a report materialized view: one row per view, the latest refresh
insert into reporting.refresh_log (view_name, refreshed_at, seconds, max_article_id, max_resolution_id)
values (%(view_name)s, now(), %(seconds)s, %(max_article_id)s, %(max_resolution_id)s)
on conflict (view_name) do update
set refreshed_at = excluded.refreshed_at,
    seconds = excluded.seconds,
    max_article_id = excluded.max_article_id,
    max_resolution_id = excluded.max_resolution_id
