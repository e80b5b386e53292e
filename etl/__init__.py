"""newsetl: turn news pages into a normalized PostgreSQL warehouse.

The package holds the pipeline's logic as plain Python (no Airflow imports):
``dags/`` wires these functions into Airflow tasks, ``etl.cli`` into a command line.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
