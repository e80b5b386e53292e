-- reporting.rejects_by_reason: one row per run, stage and reason: rejects, their share of the
-- run's rejects, and rate = rejects / pages the run attempted (fetched + rejected at fetch).
create or replace view reporting.rejects_by_reason as
with runs as (
    select
        run_id,
        started_at,
        coalesce((counts ->> 'fetched')::numeric, 0) + coalesce((counts ->> 'rejected_fetch')::numeric, 0)
            as attempted
    from public.pipeline_runs
),

rejects as (
    select run_id, stage, reason
    from public.rejects
    where run_id is not null
),

reason_counts as (
    select run_id, stage, reason, count(*) as rejects
    from rejects
    group by run_id, stage, reason
)

select
    c.run_id,
    r.started_at,
    c.stage,
    c.reason,
    c.rejects,
    round(c.rejects::numeric / sum(c.rejects) over (partition by c.run_id), 4) as share,
    round(c.rejects / nullif(r.attempted, 0), 4) as rate
from reason_counts as c
join runs as r on r.run_id = c.run_id;
