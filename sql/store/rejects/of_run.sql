-- what a run rejected, by stage and reason, most frequent first. Grain: one row per stage and reason.
select stage, reason, count(*)::integer as rejects
from rejects
where run_id = %(run_id)s
group by stage, reason
order by count(*) desc, stage, reason
