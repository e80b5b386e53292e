-- the refetch policy: fetched pages of a source first seen less than %(refetch_hours)s hours ago are
-- queued once more (a later run re-asks them with a conditional GET, so an unchanged page costs a 304).
-- Runs in a later run's discovery, so a page is never fetched twice in the run that found it.
-- Grain: one row per frontier URL; returns how many were queued.
with requeued as (
    update frontier
    set status = 'pending', refetches = refetches + 1, fetch_attempts = 0, next_fetch_at = null
    where source_id = %(source_id)s
      and %(refetch_hours)s::float8 > 0
      and status = 'fetched'
      and refetches = 0
      and fetch_from is null
      and discovered_at > now() - make_interval(secs => %(refetch_hours)s::float8 * 3600)
    returning 1
)
select count(*) from requeued
