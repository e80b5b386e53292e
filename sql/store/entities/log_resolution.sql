-- record one resolution transaction: one row
insert into entity_resolution_log (run_id, pending, keys_decided, changed, articles, seconds)
values (%(run_id)s, %(pending)s, %(keys_decided)s, %(changed)s, %(articles)s, %(seconds)s)
returning resolution_id
