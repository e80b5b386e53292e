"""The pipeline: the only layer that wires the stages (acquire, extract, entities) to the store.

``loop`` is the one claim → work → settle loop with its error policy; ``discover``, ``fetch`` and
``process`` are the stages as the DAG maps them; ``run`` is a whole run in one process (the CLI);
``runs`` opens, plans and closes runs; ``requeue`` queues given-up work again. Importing this
package is light (the DAG files import it while Airflow parses them): heavy modules are imported
by the stage modules only.
"""
