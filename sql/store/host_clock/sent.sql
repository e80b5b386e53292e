-- a request to one host is going out now (its connection is made, its headers are being sent): its
-- start as the server sees it, so a slow connect cannot bring the next start closer than the interval
update host_clock
set last_start = greatest(last_start, clock_timestamp()),
    updated_at = clock_timestamp()
where host = %(host)s
