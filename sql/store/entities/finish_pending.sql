-- the pending rows a resolution handled (rows queued since stay)
delete from entity_pending
where pending_id = any(%(pending_ids)s::bigint[])
