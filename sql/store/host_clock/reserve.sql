-- reserve the next request slot of one host: it starts at the later of the host's next free moment and
-- now, and the host's next free moment moves %(interval)s seconds past that start, in one atomic
-- statement, so requests to a host from any stage, task or process are spaced by the interval.
-- A host parked by run %(run_id)s gets no slot. Grain: one row (parked, seconds to wait; null when parked).
with parked as (
    select exists (
        select 1 from parked_hosts as p where p.run_id = %(run_id)s::bigint and p.host = %(host)s::text
    ) as parked
),
slot as (
    insert into host_clock as c (host, next_at)
    select %(host)s::text, clock_timestamp() + make_interval(secs => %(interval)s::float8)
    from parked
    where not parked.parked
    on conflict (host) do update
    set next_at = greatest(c.next_at, clock_timestamp()) + make_interval(secs => %(interval)s::float8),
        updated_at = clock_timestamp()
    returning c.next_at
)
select
    (select parked from parked) as parked,
    (select greatest(extract(epoch from (next_at - clock_timestamp()))::float8 - %(interval)s::float8, 0)
     from slot) as wait_seconds
