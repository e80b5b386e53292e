-- claim the fetch of one robots.txt for %(seconds)s, unless another client holds a live claim.
-- Grain: one row when claimed, none when another client is fetching it.
insert into robots_fetches as r (url, fetcher, until)
values (%(url)s, %(fetcher)s, now() + make_interval(secs => %(seconds)s::float8))
on conflict (url) do update
set fetcher = excluded.fetcher, until = excluded.until
where r.until < now() or r.fetcher = excluded.fetcher
returning url
