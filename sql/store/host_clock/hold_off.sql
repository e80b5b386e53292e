-- no request to one host starts before %(seconds)s seconds from now: the end of a request (its
-- interval), a backoff after a failure, a Retry-After. Never moves the host's next slot earlier.
insert into host_clock as c (host, next_at)
values (%(host)s::text, clock_timestamp() + make_interval(secs => %(seconds)s::float8))
on conflict (host) do update
set next_at = greatest(c.next_at, excluded.next_at),
    updated_at = clock_timestamp()
