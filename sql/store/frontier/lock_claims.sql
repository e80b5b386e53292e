-- serialize frontier claims of parallel workers for the rest of the transaction, so the host
-- affinity check of claim_frontier sees every other worker's claims (claims take milliseconds)
select pg_advisory_xact_lock(7311002)
