-- one batch at a time compares and stores signatures (held until its transaction ends), so two
-- copies loaded at the same moment by two workers still see each other
select pg_advisory_xact_lock(%(lock_id)s)
