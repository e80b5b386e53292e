-- record one refresh of a report aggregate: one row per aggregate, the latest refresh (incremental:
-- the dirty days; full: every day), its seconds and days, and the newest article and resolution it saw
insert into reporting.refresh_log (view_name, refreshed_at, seconds, max_article_id, max_resolution_id, mode, days)
values (%(view_name)s, now(), %(seconds)s, %(max_article_id)s, %(max_resolution_id)s, %(mode)s, %(days)s)
on conflict (view_name) do update
set refreshed_at = excluded.refreshed_at,
    seconds = excluded.seconds,
    max_article_id = excluded.max_article_id,
    max_resolution_id = excluded.max_resolution_id,
    mode = excluded.mode,
    days = excluded.days
