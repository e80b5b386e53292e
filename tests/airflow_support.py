"""Run real Airflow from tests: an isolated AIRFLOW_HOME, a migrated metadata DB, dag.test() in a subprocess.

Airflow reads its configuration once at import, so every Airflow run happens in a child process
with its own environment; the test process never imports Airflow's ORM.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DAGS = REPO / "dags"
VENV_BIN = Path(sys.executable).parent


def airflow_env(home: Path, warehouse_url: str, metadata_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for Airflow commands: isolated home, our dags/, no examples, warehouse connection."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSETL_"))}
    from tools.local_airflow import connection_json  # JSON fields, socket host included, any DSN form

    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url or f"sqlite:///{home}/airflow.db",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW_CONN_NEWS_WAREHOUSE=connection_json(warehouse_url),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join([str(DAGS), str(REPO)]),
    )
    env.update(extra)
    return env


def _airflow_db_migrate(env: dict[str, str]) -> None:
    subprocess.run([str(VENV_BIN / "airflow"), "db", "migrate"], env=env, check=True,
                   capture_output=True, timeout=300)


_MIGRATED_SQLITE: list[Path] = []  # this process's freshly migrated SQLite metadata database, once made


def migrate_metadata(env: dict[str, str]) -> None:
    """`airflow db migrate` on the metadata database of ``env``.

    The default SQLite database (``$AIRFLOW_HOME/airflow.db``) is a copy of one `airflow db migrate` made
    once per test process, in a home of its own with no connection or run in it: the same file a
    migration of an empty database writes, without paying the migration (3 s) for every test."""
    home = Path(env["AIRFLOW_HOME"])
    target = home / "airflow.db"
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") != f"sqlite:///{target}" or target.exists():
        _airflow_db_migrate(env)
        return
    if not _MIGRATED_SQLITE:
        template_home = Path(tempfile.mkdtemp(prefix="newsetl-airflow-template-"))
        atexit.register(shutil.rmtree, template_home, True)
        _airflow_db_migrate(airflow_env(template_home, "postgresql://postgres@/none?host=/nonexistent"))
        _MIGRATED_SQLITE.append(template_home / "airflow.db")
    shutil.copyfile(_MIGRATED_SQLITE[0], target)


# Source of the child processes that validate trigger-form confs against a DAG's params (test_dags,
# test_security): "ok", or the refusal's message, for each conf.
PARAM_VERDICTS = r"""
def param_verdicts(dag, confs):
    import copy
    verdicts = []
    for conf in confs:
        params = copy.deepcopy(dag.params)
        try:
            params.update(conf)
            params.validate()
            verdicts.append("ok")
        except Exception as exc:
            verdicts.append(str(exc)[:300])
    return verdicts
"""


DAG_TEST_SCRIPT = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
if bag.import_errors:
    print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}))
    sys.exit(3)
dag = bag.get_dag(sys.argv[2])
dr = dag.test(run_conf=json.loads(sys.argv[3]))
tis = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in dr.get_task_instances()}
print("DAG_TEST_RESULT " + json.dumps({"state": str(dr.state), "tis": tis}))
"""


def run_dag_test(env: dict[str, str], dag_id: str, conf: dict[str, Any], timeout: int = 600) -> dict[str, Any]:
    """Run ``dag.test(run_conf=conf)`` in a child process; returns its state and task states."""
    proc = subprocess.run(
        [sys.executable, "-c", DAG_TEST_SCRIPT, str(DAGS), dag_id, json.dumps(conf)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("DAG_TEST_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("DAG_TEST_RESULT "))
            result["log"] = proc.stdout[-20000:] + proc.stderr[-20000:]
            return result
    raise AssertionError(
        f"dag.test gave no result (exit {proc.returncode}):\n{proc.stdout[-5000:]}\n{proc.stderr[-8000:]}"
    )
