-- the marks of a batch of days, read after taking the reports lock: exactly these are cleared when the
-- batch commits (a mark made meanwhile is another row, kept for the next refresh)
select mark_id
from reporting.dirty_days
where day = any(%(days)s::date[])
