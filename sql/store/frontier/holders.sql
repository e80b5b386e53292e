-- the workers holding frontier leases now (a dead one's claims can be handed back at once).
-- Grain: one row per worker.
select distinct claimed_by
from frontier
where claimed_by is not null
  and status = 'pending'
