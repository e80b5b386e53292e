"""Tools around the pipeline, not part of the core package: the local Airflow launcher, benchmark I/O."""
