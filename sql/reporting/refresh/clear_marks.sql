-- the marks a batch read, once its days are computed again (in the batch's transaction)
delete from reporting.dirty_days
where mark_id = any(%(mark_ids)s::bigint[])
