-- one resolution at a time: held until the resolving transaction ends
select pg_advisory_xact_lock(%(lock_id)s)
