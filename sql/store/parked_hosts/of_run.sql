-- the hosts a run parked, with why, and how many of their URLs (of any source) are still pending.
-- Grain: one row per parked host.
select
    p.host,
    p.reason,
    p.detail,
    p.failures,
    (select count(*) from frontier as f where f.host = p.host and f.status = 'pending')::integer as pending
from parked_hosts as p
where p.run_id = %(run_id)s
order by p.host
