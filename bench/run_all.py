"""`make bench`: every benchmark in its own process, then bench/results/latest.json and the README table.

Runs bench.e2e (end to end, this project's headline numbers), then bench.fetch, bench.reports
(``--articles 100000``), bench.ner and bench.dag_parse when those modules exist; a missing or failing benchmark is
reported and the others still run. Each benchmark writes bench/results/<name>.json; this script
gathers them into bench/results/latest.json and rewrites the README's benchmark table (between
``<!-- bench-e2e:begin -->`` and ``<!-- bench-e2e:end -->``) from it, so the table is never typed
by hand. ``--update-readme`` only regenerates the table from latest.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
LATEST = RESULTS / "latest.json"
README_BLOCK = "bench-e2e"
TARGET_PARALLEL = 0.65
# (name, module, extra arguments): each writes bench/results/<name>.json
BENCHMARKS: list[tuple[str, str, list[str]]] = [
    ("e2e", "bench.e2e", []),
    ("fetch", "bench.fetch", []),
    ("reports", "bench.reports", ["--articles", "100000"]),
    ("ner", "bench.ner", []),
    ("dag_parse", "bench.dag_parse", []),
    ("scale", "bench.e2e", ["--scale", "--pages", "20000"]),
    ("reports_1m", "bench.reports", ["--articles", "1000000", "--verify", "--out", "bench/results/reports_1m.json"]),
]
# Run only when named in --only (the scale scenario takes about half an hour on 2 CPUs; the reports at
# issue 15's full size, 1,000,000 articles and 20,000,000 entity links, about a quarter of an hour).
ON_REQUEST = {"scale", "reports_1m"}


def run_benchmarks(only: set[str] | None, e2e_args: list[str]) -> dict[str, Any]:
    """Run each present benchmark in a subprocess; collect its JSON (when it wrote one this time)."""
    latest: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": {}}
    for name, module, extra in BENCHMARKS:
        if (only and name not in only) or (name in ON_REQUEST and not (only and name in only)):
            continue
        if importlib.util.find_spec(module) is None:
            latest["runs"][name] = {"status": "missing", "module": module}
            print(f"== {name}: {module} is not there, skipped", flush=True)
            continue
        args = [sys.executable, "-m", module, *extra, *(e2e_args if name == "e2e" else [])]
        print(f"== {name}: {shlex.join(args[1:])}", flush=True)
        started = time.time()
        proc = subprocess.run(args, cwd=REPO)
        seconds = round(time.time() - started, 1)
        result_file = RESULTS / f"{name}.json"
        entry: dict[str, Any] = {"status": "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})",
                                 "seconds": seconds, "command": shlex.join(args[1:]),
                                 "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        if result_file.exists() and result_file.stat().st_mtime >= started:
            entry["results"] = json.loads(result_file.read_text(encoding="utf-8"))
        latest["runs"][name] = entry
        print(f"== {name}: {entry['status']} in {seconds}s", flush=True)
    latest["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return latest


def collect(names: list[str]) -> dict[str, Any]:
    """latest.json with the named benchmarks' bench/results/<name>.json as they are (a benchmark run by hand,
    ``python -m bench.e2e --scale ...``: its JSON says its command), the others kept."""
    latest: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": {}}
    for name in names:
        path = RESULTS / f"{name}.json"
        results = json.loads(path.read_text(encoding="utf-8"))
        latest["runs"][name] = {"status": "ok", "command": results.get("command", "?"), "results": results,
                                "collected": True, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                                                time.localtime(path.stat().st_mtime))}
    latest["finished_at"] = latest["started_at"]
    return latest


def merge_previous(latest: dict[str, Any]) -> dict[str, Any]:
    """Keep the last results of benchmarks not run this time (``--only``) or that failed this time."""
    if not LATEST.exists():
        return latest
    before = json.loads(LATEST.read_text(encoding="utf-8"))
    for name, entry in before.get("runs", {}).items():
        now = latest["runs"].setdefault(name, entry)
        if "results" not in now and "results" in entry:
            now["results"] = entry["results"]
            now["results_from"] = entry.get("results_from") or before.get("started_at")
    return latest


# --------------------------------------------------------------------------------------------
# The README table, generated from latest.json
# --------------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def readme_table(latest: dict[str, Any]) -> str:
    """Markdown: the e2e headline numbers with targets, why each missed one was missed, other benchmarks."""
    e2e = latest.get("runs", {}).get("e2e", {}).get("results")
    lines: list[str] = []
    if not e2e:
        return "_No end-to-end results yet: run `make bench`._"
    s, p1, base, load = e2e["summary"], e2e["pipeline_1"], e2e["baseline"], e2e["load"]
    met = s["met"]
    verdict = {True: "met", False: "**missed**"}
    stale = latest["runs"]["e2e"].get("results_from")
    if stale:
        lines += [f"_The last `make bench` could not finish the end-to-end benchmark "
                  f"({latest['runs']['e2e']['status']}); these are the results of the run of {stale}._", ""]
    lines += [
        f"Measured {e2e.get('measured_at', '?')} on {e2e['cpus']} CPUs (load average "
        f"{e2e.get('load_average_before', ['?'])[0]} before, {e2e.get('load_average_after', ['?'])[0]} after), "
        f"{e2e['pages']} pages = the {e2e['unique_dev_pages']} dev pages and synthetic copies, "
        f"served over HTTP by {e2e['hosts']} local hosts. Ratios use the fastest of "
        f"{e2e.get('repeat', 1)} alternating rounds of each side (every round's wall time is in latest.json).",
        "",
        "| measure | measured | target | verdict |",
        "|---|---|---|---|",
        f"| whole pipeline, 1 worker (`newsetl run`) | {_fmt(p1['wall'], 1)} s, "
        f"{s['articles_per_s_1']} articles/s | | |",
        f"| plain `trafilatura.bare_extraction` + `nlp.pipe` | {_fmt(base['wall'], 1)} s, "
        f"{s['baseline_articles_per_s']} articles/s | | |",
        f"| overhead: pipeline / plain | {_fmt(s['overhead_ratio'])} | <= 1.25 | {verdict[met['overhead_ratio']]} |",
    ]
    if "workers_ratio" in s:
        w2 = e2e["pipeline_workers_2"]
        lines.append(f"| whole run, `newsetl run --workers 2` / `--workers 1` (wall) | {_fmt(s['workers_ratio'])} "
                     f"({_fmt(w2['wall'], 1)} s vs {_fmt(p1['wall'], 1)} s) | <= 0.6 | "
                     f"{verdict[met['workers_ratio']]} |")
    lines += [
        f"| process stage (extract + entities + load), 2 worker processes / 1 (wall) | "
        f"{_fmt(s['parallel_ratio'])} ({_fmt(e2e['process_2']['wall'], 1)} s vs {_fmt(e2e['process_1']['wall'], 1)} s)"
        f" | <= 0.65 | {verdict[met['parallel_ratio']]} |",
        f"| two `newsetl run` started at once / one (wall) | {_fmt(s['cli_parallel_ratio'])} | | |",
        f"| load stage rows/s / raw `COPY` rows/s | {_fmt(s['load_vs_copy'])} ({load['load_rows_per_s']} vs "
        f"{load['copy_rows_per_s']} rows/s, {load['rows']} rows) | >= 0.5 | {verdict[met['load_vs_copy']]} |",
        f"| second run over unchanged sources / first | {_fmt(s['incremental_ratio'], 3)} "
        f"({_fmt(e2e['incremental']['wall'], 1)} s) | <= 0.05 | {verdict[met['incremental_ratio']]} |",
    ]
    if "memory_growth" in s:
        small, big = s["memory_pages"]
        lines.append(f"| peak RSS, {small} vs {big} pages | {s['peak_rss_mb'][0]} vs {s['peak_rss_mb'][1]} MB "
                     f"({s['memory_growth']:+.0%}) | < 20% | {verdict[met['memory_growth']]} |")
    if "newspaper_articles_per_s" in s:
        lines.append(f"| plain newspaper4k `parse()` + `nlp()` per article | {_fmt(e2e['newspaper']['wall'], 1)} s, "
                     f"{s['newspaper_articles_per_s']} articles/s | | |")
    parse = latest.get("runs", {}).get("dag_parse", {}).get("results")
    if parse:
        worst = max(parse["files"].items(), key=lambda kv: kv[1]["ratio"])
        lines.append(f"| DAG file import / `import airflow.sdk` (worst file: `{worst[0]}.py`) | "
                     f"{_fmt(worst[1]['ratio'])} ({worst[1]['seconds']} s vs {parse['airflow_sdk_seconds']} s) | "
                     f"<= {parse['target_ratio']} | {verdict[parse['met']]} |")
    for name in ("reports", "reports_1m"):
        run = latest.get("runs", {}).get(name, {})
        reports = run.get("results")
        if reports and "one_day_vs_full" in reports.get("refresh_seconds", {}):  # bench/reports.py since issue 15
            r = reports["refresh_seconds"]
            when = f", measured {run['finished_at'][:10]}" if name in ON_REQUEST and "finished_at" in run else ""
            lines.append(f"| report refresh after one new day / full rebuild ({reports['articles']:,} articles, "
                         f"{reports['article_entities']:,} entity links, `bench/reports.py`{when}) | "
                         f"{_fmt(r['one_day_vs_full'], 3)} ({r['after_one_day_total']} s vs "
                         f"{r['full_rebuild_total']} s) | <= {r['target_ratio']} | {verdict[r['met']]} |")
    scale = latest.get("runs", {}).get("scale", {}).get("results")
    if scale:
        sc = scale["summary"]
        small, big_n = sc["memory_pages"]
        lines.append(f"| peak RSS of `newsetl run`, {small:,} vs {big_n:,} varied pages (`bench.e2e --scale`, "
                     f"measured {scale.get('measured_at', '?')[:10]}) | "
                     f"{round(sc['peak_rss_mb'][0])} vs {round(sc['peak_rss_mb'][1])} MB (x{_fmt(sc['rss_ratio'])}) | "
                     f"<= x{sc['target_rss_ratio']} | {verdict[sc['met']]} |")
    stages = ", ".join(f"{k} {v} s" for k, v in sorted(p1["stage_seconds"].items(), key=lambda kv: -kv[1]))
    lines += ["", f"Stage seconds of the 1-worker run: {stages}."]
    if "pipeline_big" in e2e and e2e["pipeline_big"]["pages"] < 10_000:
        lines.append(f"The memory run used {e2e['pipeline_big']['pages']} pages, not 10,000: the most that fit "
                     "the benchmark's time budget on this machine (`--memory-pages 10000` runs the full size).")
    if scale:
        big = scale["runs"][-1]
        by_time = sorted(big["per_stage"].items(), key=lambda kv: kv[1]["seconds"] or 0, reverse=True)
        rates = ", ".join(f"{k} {v['per_s']}" for k, v in by_time)
        lines.append(f"Scale run ({scale.get('measured_at', '?')}, load average {big['load_average_before'][0]} "
                     f"before, {big['load_average_after'][0]} after): {big['pages']:,} varied pages in "
                     f"{_fmt(big['wall'], 0)} s, {big['articles_per_s']} articles/s; {big['stored']:,} articles "
                     f"stored, {big['near_duplicates']:,} of them near-duplicates; items/s per stage (pages up to "
                     f"extract, articles after): {rates}.")
    failures = [(name, f) for name in ("process_2", "pipeline_2") for f in e2e.get(name, {}).get("failures", [])]
    if failures:
        lines += ["", "Worker processes that failed during the parallel runs (each started again, as Airflow retries "
                      "a task; their pages waited for the lease to expire):", ""]
        lines += [f"- {name}, after {f['at_seconds']} s, exit {f['exit']}: `{f['error']}`" for name, f in failures]
    why = missed_reasons(e2e)
    if why:
        lines += ["", "Missed targets and findings, with the measured numbers (analysis and suggestions in "
                      "[doc/benchmarks.md](doc/benchmarks.md)):", ""]
        lines += [f"- {reason}" for reason in why]
    others = [f"`{name}`: {entry['status']}" + (f" in {entry['seconds']} s" if "seconds" in entry else "")
              for name, entry in latest.get("runs", {}).items() if name not in ("e2e", *ON_REQUEST)]
    if others:
        lines += ["", "Other benchmarks of the last `make bench`: " + "; ".join(others)
                  + " (their numbers: `bench/results/latest.json`)."]
    return "\n".join(lines)


def missed_reasons(e2e: dict[str, Any]) -> list[str]:
    """One line per missed target, built from the measurements (never typed by hand)."""
    s, met = e2e["summary"], e2e["summary"]["met"]
    p1, base = e2e["pipeline_1"], e2e["baseline"]
    out = []
    if not met["overhead_ratio"]:
        st = p1["stage_seconds"]
        staged = sum(st.values())
        out.append(
            f"overhead {s['overhead_ratio']:.2f}: the pipeline took {p1['wall']:.1f} s, of which stages "
            f"{staged:.1f} s (extract {st.get('extract', 0):.1f}, entities {st.get('entities', 0):.1f}, load "
            f"{st.get('load', 0):.1f}, fetch {st.get('fetch', 0):.1f}, discover {st.get('discover', 0):.1f}) and "
            f"{p1['wall'] - staged:.1f} s outside them (start-up, migrate check, model load); plain extraction "
            f"took {base['extract_seconds']:.1f} s and plain NER {base['ner_seconds']:.1f} s.")
    if "workers_ratio" in met and not met["workers_ratio"]:
        w2 = e2e["pipeline_workers_2"]
        out.append(f"`--workers 2` {s['workers_ratio']:.2f} of one worker: {w2['wall']:.1f} s vs {p1['wall']:.1f} s on "
                   f"{e2e['cpus']} CPUs shared with PostgreSQL and the page server (load average "
                   f"{w2.get('load_average', '?')} before); stage seconds summed over both workers: "
                   f"{json.dumps(w2['stage_seconds'])}.")
    if not met["parallel_ratio"]:
        one, two = e2e["process_1"], e2e["process_2"]
        out.append(f"process stage with 2 workers {s['parallel_ratio']:.2f}: {two['wall']:.1f} s vs "
                   f"{one['wall']:.1f} s "
                   f"on {e2e['cpus']} CPUs shared with PostgreSQL (load average {two.get('load_average', '?')} "
                   f"before); stage seconds summed over both workers: {json.dumps(two['stage_seconds'])} vs one "
                   f"worker's {json.dumps(one['stage_seconds'])}.")
    if s.get("cli_parallel_ratio", 0) > TARGET_PARALLEL:
        p2 = e2e["pipeline_2"]
        split = "; ".join(f"run {i + 1} fetched {r['fetched']} pages and loaded {r['articles']} articles"
                          for i, r in enumerate(p2.get("per_run", [])))
        out.append(f"two `newsetl run` at once {s['cli_parallel_ratio']:.2f} of one (no target; above the "
                   f"{TARGET_PARALLEL} two worker processes of one run are held to): "
                   f"{split or 'see per_run in latest.json'}; peak RSS per process "
                   f"{[round(x) for x in p2['peak_rss_mb']]} MB.")
    if not met["load_vs_copy"]:
        load = e2e["load"]
        parts = e2e.get("profile", {}).get("load_entry_points", {})
        where = ", ".join(f"{label.strip()} {v['seconds']:.2f} s" for label, v in parts.items()
                          if not label.startswith("load_articles"))
        whole = parts.get("load_articles (whole load transaction body)", {}).get("seconds")
        out.append(f"load {s['load_vs_copy']:.2f} of COPY: {load['rows']} rows in {load['load_seconds']:.2f} s "
                   f"(load) vs {load['copy_seconds']:.2f} s (COPY)"
                   + (f"; its load transactions ({whole:.2f} s over {e2e['profile']['pages']} pages, profiled in "
                      f"the database thread): {where}" if whole else "") + ".")
    if not met["incremental_ratio"]:
        out.append(f"second run {s['incremental_ratio']:.3f}: {e2e['incremental']['wall']:.1f} s, about the "
                   f"fixed cost of starting `newsetl` (imports, migrate check, seeds, discover of the list), "
                   f"against a first run of {p1['wall']:.1f} s.")
    if "memory_growth" in met and not met["memory_growth"]:
        big = e2e["pipeline_big"]
        out.append(f"memory {s['memory_growth']:+.0%}: {s['peak_rss_mb'][0]} MB at {s['memory_pages'][0]} pages vs "
                   f"{s['peak_rss_mb'][1]} MB at {big['pages']} pages.")
    return out


def update_readme(latest: dict[str, Any]) -> bool:
    from bench.readme import replace_block

    return replace_block(README_BLOCK, readme_table(latest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names (e2e,fetch,reports,ner,dag_parse; scale "
                                       "and reports_1m run only when named)")
    parser.add_argument("--e2e-args", default="", help="extra arguments for bench.e2e, e.g. '--pages 500'")
    parser.add_argument("--collect", help="comma-separated benchmark names whose bench/results/<name>.json, written "
                                          "by running the benchmark directly, go into latest.json (nothing runs)")
    parser.add_argument("--update-readme", action="store_true", help="only rewrite the README table from latest.json")
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    args = parser.parse_args()
    if args.update_readme:
        latest = json.loads(LATEST.read_text(encoding="utf-8"))
    else:
        only = set(args.only.split(",")) if args.only else None
        ran = collect(args.collect.split(",")) if args.collect else run_benchmarks(only, shlex.split(args.e2e_args))
        latest = merge_previous(ran)
        RESULTS.mkdir(parents=True, exist_ok=True)
        LATEST.write_text(json.dumps(latest, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"wrote {LATEST.relative_to(REPO)}")
    if not args.no_readme:
        if update_readme(latest):
            print("README.md benchmark table rewritten")
        else:
            print(f"README.md has no <!-- {README_BLOCK}:begin/end --> markers; table not written", file=sys.stderr)
    print(readme_table(latest))


if __name__ == "__main__":
    main()
