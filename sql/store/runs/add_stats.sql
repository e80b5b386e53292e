-- add per-batch counters and stage seconds to a run (summed, so batches can land in any order)
update pipeline_runs as r
set counts = (
        select coalesce(jsonb_object_agg(key, total), '{}'::jsonb)
        from (
            select key, sum(value::numeric) as total
            from (
                select key, value from jsonb_each_text(r.counts)
                union all
                select key, value from jsonb_each_text(%(counts)s::jsonb)
            ) as both_sides
            group by key
        ) as summed
    ),
    stage_timings = (
        select coalesce(jsonb_object_agg(key, round(total, 3)), '{}'::jsonb)
        from (
            select key, sum(value::numeric) as total
            from (
                select key, value from jsonb_each_text(r.stage_timings)
                union all
                select key, value from jsonb_each_text(%(timings)s::jsonb)
            ) as both_sides
            group by key
        ) as summed
    )
where r.run_id = %(run_id)s
