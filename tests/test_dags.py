"""The DAGs parse cleanly, follow the house policy, and news_etl really runs (dag.test, real Postgres)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from etl.store.db import libpq_url
from tests.airflow_support import DAGS, PARAM_VERDICTS, REPO, airflow_env, migrate_metadata, run_dag_test

pytestmark = pytest.mark.airflow

POLICY_SCRIPT = PARAM_VERDICTS + r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "catchup": dag.catchup, "max_active_runs": dag.max_active_runs,
        "tags": sorted(dag.tags), "doc_md": bool(dag.doc_md),
        "dagrun_timeout": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "start_date_aware": dag.start_date is not None and dag.start_date.tzinfo is not None,
        "owners": sorted({t.owner for t in dag.tasks}),
        "retries": sorted({t.retries for t in dag.tasks}),
        "params": sorted(dag.params.keys()),
    }
# the trigger form's params of news_etl (test_the_trigger_form_...): each param's schema, and the
# verdict of validating each conf of argv[2]
out["news_etl_params"] = None  # news_etl did not import: test_dags_import_without_errors says why
if "news_etl" in bag.dags:
    dag = bag.dags["news_etl"]
    schemas = {name: dag.params.get_param(name).schema for name in dag.params}
    verdicts = param_verdicts(dag, json.loads(sys.argv[2]))
    out["news_etl_params"] = {"schemas": schemas, "verdicts": verdicts}
print("POLICY " + json.dumps(out))
"""
# Confs the trigger form could send for limit and the defaulted params: the first four must be refused.
PARAM_CONFS = [{"limit": -5}, {"limit": "-5"}, {"limit": "abc"}, {"limit": 2.5}, {"limit": 5}, {"limit": "5"},
               {"limit": None}, {"sources": None, "extra_sources": None, "reprocess": None}, {"reprocess": True}]


@pytest.fixture(scope="module")
def dagbag_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One DagBag parse (a child process: Airflow's import is the slow part) for the policy and params tests."""
    env = airflow_env(tmp_path_factory.mktemp("airflow-policy"), "postgresql://postgres@/none?host=/nonexistent")
    proc = subprocess.run([sys.executable, "-c", POLICY_SCRIPT, str(DAGS), json.dumps(PARAM_CONFS)], env=env,
                          capture_output=True, text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("POLICY ")), None)
    assert line, proc.stderr[-5000:]
    return json.loads(line.removeprefix("POLICY "))


def test_dags_import_without_errors(dagbag_report: dict) -> None:
    assert dagbag_report["import_errors"] == {}
    assert "news_etl" in dagbag_report["dags"]


def test_every_dag_follows_policy(dagbag_report: dict) -> None:
    for dag_id, info in dagbag_report["dags"].items():
        assert info["catchup"] is False, dag_id
        assert info["max_active_runs"] == 1, dag_id
        assert info["doc_md"], dag_id
        assert info["tags"], dag_id
        assert info["dagrun_timeout"], dag_id
        assert info["start_date_aware"], dag_id
        assert info["owners"] == ["newsetl"], dag_id
        assert min(info["retries"]) >= 1, dag_id
    assert set(dagbag_report["dags"]["news_etl"]["params"]) >= {"sources", "limit", "reprocess", "extra_sources"}


def test_etl_package_has_no_airflow_imports() -> None:
    offenders = [p.name for p in (REPO / "etl").rglob("*.py") if "import airflow" in p.read_text()
                 or "from airflow" in p.read_text()]
    assert offenders == []


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: S608 - fixed names
                for t in ("articles", "rejects", "raw_pages", "article_entities", "entities", "pipeline_runs")}


def test_news_etl_dag_run_loads_the_seed_corpus(warehouse_url: str, tmp_path: Path) -> None:
    env = airflow_env(tmp_path / "airflow", warehouse_url)
    migrate_metadata(env)
    first = run_dag_test(env, "news_etl", {})
    assert first["state"] == "success", first["log"][-6000:]
    assert first["tis"]["resolve_entities[-1]"] == "success" and first["tis"]["publish[-1]"] == "success"
    after_first = _counts(warehouse_url)
    assert after_first["articles"] >= 20
    assert after_first["rejects"] >= 4
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        title, day = conn.execute(
            "select title, published_date from articles where url like %s", ("%000_seed_article.html",)
        ).fetchone()
        people = {r[0] for r in conn.execute(
            "select e.name from entities e join article_entities ae using (entity_id) "
            "join articles a using (article_id) where a.url like %s and e.type = 'PERSON'",
            ("%000_seed_article.html",))}
        status, trigger, external = conn.execute(
            "select status, trigger, external_id from pipeline_runs order by run_id desc limit 1").fetchone()
    assert title.startswith("Amid Row Over Sanctions, Taiwan, China And US Explore Ways")
    assert str(day) == "2023-06-20"
    assert {"Antony Blinken", "Xi Jinping", "Joe Biden"} <= people
    assert (status, trigger) == ("success", "airflow") and external.startswith("news_etl/")

    second = run_dag_test(env, "news_etl", {})
    assert second["state"] == "success", second["log"][-6000:]
    after_second = _counts(warehouse_url)
    assert {k: v for k, v in after_second.items() if k != "pipeline_runs"} == \
        {k: v for k, v in after_first.items() if k != "pipeline_runs"}
    assert after_second["pipeline_runs"] == after_first["pipeline_runs"] + 1


def test_a_failed_dag_run_closes_its_pipeline_run_as_failed(warehouse_url: str, tmp_path: Path) -> None:
    """Reproduced: only `publish` closed a run, so a DAG run with a failed task left it `running` forever."""
    env = airflow_env(tmp_path / "airflow", warehouse_url, NEWSETL_SPACY_MODEL="no_such_model")
    migrate_metadata(env)
    result = run_dag_test(env, "news_etl", {})
    assert result["state"] == "failed", result["log"][-6000:]
    assert result["tis"]["resolve_entities[-1]"] == "upstream_failed"
    assert result["tis"]["publish[-1]"] == "upstream_failed"
    assert result["tis"]["close[-1]"] == "failed"  # the DAG run cannot end green
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        status, finished, error = conn.execute(
            "select status, finished_at, error from pipeline_runs order by run_id desc limit 1").fetchone()
    assert status == "failed" and finished is not None
    assert "process: NerModelMissing" in error and "no_such_model" in error


# The installed UI's trigger form (airflow/ui/dist): a field is marked required when its schema has a
# type that does not include "null"; a type with several non-null types gets the typed text field; a
# lone integer or number type gets the number box, which clamps to the schema's minimum on blur.
UI_REQUIRED_RULE = "!!e.schema.type&&(!Array.isArray(e.schema.type)||!e.schema.type.includes(`null`))"
UI_MULTI_TYPE_RULE = "e.type.filter(e=>e!==`null`).length>1"
UI_NUMBER_BOX = "min:o.schema.minimum??void 0"


def test_the_trigger_form_marks_nothing_required_and_cannot_coerce_limit(dagbag_report: dict) -> None:
    """Reproduced: sources, extra_sources and reprocess showed a red "required" asterisk though they have
    defaults, and the number box turned `limit -5` into 0 silently."""
    bundle = "".join(p.read_text(errors="replace") for p in
                     (Path(sys.executable).parent.parent / "lib").glob("python3*/site-packages/airflow/ui/dist/"
                                                                         "assets/index-*.js"))
    assert UI_REQUIRED_RULE in bundle and UI_MULTI_TYPE_RULE in bundle and UI_NUMBER_BOX in bundle, \
        "the installed Airflow UI renders params differently: re-check the rules above"
    confs = PARAM_CONFS
    out = dagbag_report["news_etl_params"]
    assert out is not None, dagbag_report["import_errors"]
    for name, schema in out["schemas"].items():  # every param has a default: none may show as required
        types = schema.get("type")
        assert isinstance(types, list) and "null" in types, (name, schema)
    assert len([t for t in out["schemas"]["limit"]["type"] if t != "null"]) > 1  # the text field, no clamping
    verdicts = dict(zip([json.dumps(c) for c in confs], out["verdicts"], strict=True))
    refused = [c for c, v in verdicts.items() if v != "ok"]
    assert refused == [json.dumps(c) for c in confs[:4]], verdicts
    assert all("limit" in verdicts[json.dumps(c)] for c in confs[:4]), verdicts  # the message names the param


def test_task_logs_are_readable_lines() -> None:
    from collections import Counter

    from etl.pipeline.loop import batch_line
    from etl.pipeline.tasks import describe

    line = batch_line("fetch", 3, 150, 320, Counter(fetched=48, not_modified=1, rejected_fetch=3),
                      Counter(http_404=2, robots_disallowed=1))
    assert line == ("fetch batch 3: 150/320 done; fetched 48, not modified 1; rejected: http_404 2, "
                    "robots_disallowed 1")
    table = describe("fetch", {"counts": {"fetched": 120, "rejected_fetch": 2, "lease_lost": 0}, "seconds": 61.04})
    assert table.splitlines() == ["fetch summary: 122 items in 61.0s",
                                  f"  {'fetched':<28} {120:>8}", f"  {'rejected_fetch':<28} {2:>8}"]
    assert "{" not in describe("plan_fetch", [{"quota": 120, "of": 120, "hosts": ["a.example"]}])
