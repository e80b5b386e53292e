-- the batch's days' counts of stories with entities, before they are counted again
delete from reporting.leader_days
where day = any(%(days)s::date[])
