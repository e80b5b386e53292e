"""DAG parse weight: the import time of each DAG file against `import airflow.sdk` alone, same run.

Airflow's DAG processor imports every DAG file on every parse (its default import timeout is 30 s).
Each measurement is a fresh interpreter that imports one thing and reports how long the import took
(the interpreter's own start-up is not counted). Rounds alternate the baseline and every DAG file,
so a busy moment of the shared machine hits both sides; the median of the rounds is kept.
Target: every DAG file within 1.5x of `import airflow.sdk`. Writes bench/results/dag_parse.json.

    .venv/bin/python -m bench.dag_parse [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DAGS = REPO / "dags"
RESULTS = REPO / "bench" / "results" / "dag_parse.json"
TARGET = 1.5
HEAVY = ("spacy", "scipy", "datasketch", "trafilatura", "lxml", "matplotlib", "numpy")

PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
__import__(sys.argv[2])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "heavy": [m for m in sys.argv[3].split(",") if m in sys.modules]}))
"""


def timed_import(module: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(REPO / ".data" / "bench-airflow-home")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(DAGS), module, ",".join(HEAVY)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env, check=True)
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


def run(rounds: int) -> dict[str, Any]:
    modules = ["airflow.sdk", *sorted(p.stem for p in DAGS.glob("*.py"))]
    samples: dict[str, list[float]] = {m: [] for m in modules}
    heavy: dict[str, list[str]] = {}
    timed_import("airflow.sdk")  # warm the file cache, not counted
    for _ in range(rounds):
        for module in modules:
            got = timed_import(module)
            samples[module].append(got["seconds"])
            heavy[module] = got["heavy"]
    base = statistics.median(samples["airflow.sdk"])
    files = {}
    for module in modules[1:]:
        median = statistics.median(samples[module])
        files[module] = {"seconds": round(median, 3), "ratio": round(median / base, 2), "heavy_modules": heavy[module],
                         "met": median / base <= TARGET, "rounds": [round(s, 3) for s in samples[module]]}
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "rounds": rounds,
        "airflow_sdk_seconds": round(base, 3),
        "airflow_sdk_rounds": [round(s, 3) for s in samples["airflow.sdk"]],
        "target_ratio": TARGET,
        "files": files,
        "met": all(f["met"] for f in files.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    result = run(args.rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"import airflow.sdk: {result['airflow_sdk_seconds']} s (median of {args.rounds})")
    for name, f in result["files"].items():
        print(f"  {name}: {f['seconds']} s = {f['ratio']}x  (target <= {TARGET}x: {'met' if f['met'] else 'MISSED'})"
              + (f"  heavy: {f['heavy_modules']}" if f["heavy_modules"] else ""))
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
