-- the workers holding raw_pages leases now (a dead one's claims can be handed back at once).
-- Grain: one row per worker.
select distinct claimed_by
from raw_pages
where claimed_by is not null
  and process_status = 'pending'
