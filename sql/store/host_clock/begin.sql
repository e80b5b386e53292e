-- the moment a request to one host starts, whoever reserved its slot: it may start only when the
-- host's previous start (by any process) is at least %(interval)s seconds ago, and then records its
-- own start. Grain: one row, the seconds still to wait (0: started now, recorded).
with started as (
    update host_clock
    set last_start = clock_timestamp(),
        updated_at = clock_timestamp()
    where host = %(host)s::text
      and (last_start is null or last_start <= clock_timestamp() - make_interval(secs => %(interval)s::float8))
    returning 1
)
select case
    when exists (select 1 from started) then 0::float8
    else greatest(coalesce(extract(epoch from (
        (select c.last_start from host_clock as c where c.host = %(host)s::text)
        + make_interval(secs => %(interval)s::float8) - clock_timestamp()))::float8, 0), 0.005)
end
