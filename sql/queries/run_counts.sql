-- the counters of one run
select counts from pipeline_runs where run_id = %(run_id)s
