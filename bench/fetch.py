"""Fetch benchmark: pages/s against local hosts under a per-host rate limit, and peak memory.

Run ``.venv/bin/python -m bench.fetch`` (about a minute). It starts the fixture web server
(tests/webserver.py) in another process on 127.0.0.1..N and an embedded PostgreSQL, then runs
the real discover + fetch stages in a fresh process per scenario, so each scenario's peak RSS
is its own:

* one host vs all hosts at the same per-host rate: throughput should grow with the number of
  hosts while every host still sees requests no closer than the configured interval;
* the same hosts with a few and with many pages: peak RSS should stay flat (pages stream
  through the database in batches, nothing grows with the run).

Per-host spacing is measured on the server side (its request log), throughput on the client
side (the fetch stage's wall time). Results are printed as a table and written to
bench/results/fetch.json. The defaults use 5 requests/s per host to stay short; the task's
full run is ``--rate 1 --pages 2000`` (about 100 s for the big scenario alone).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from statistics import quantiles
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "fetch.json"


def run_scenario(args: argparse.Namespace) -> dict[str, Any]:
    """Child process: discover a URL list spread over the hosts, fetch it, report numbers."""
    from etl.pipeline import runs as pipeline
    from etl.pipeline.discover import run_discover
    from etl.pipeline.fetch import run_fetch
    from etl.records import SourceSpec
    from etl.settings import load_settings

    bases = args.bases.split(",")[: args.hosts]
    listing = Path(tempfile.mkdtemp()) / "urls.txt"
    listing.write_text("".join(f"{bases[i % len(bases)]}/gen/p{i}.html\n" for i in range(args.pages)))
    settings = load_settings(
        environ={},
        allowed_hosts=tuple(f"127.0.0.{n}" for n in range(1, len(bases) + 1)),
        min_host_interval_seconds=1.0 / args.rate,
        fetch_concurrency=max(32, 2 * len(bases)),
        batch_size=100,
        files_roots=(str(listing.parent),),  # a local URL list is read only inside the allowed folders
    )
    url = args.db_url
    pipeline.prepare_database(url)
    specs = [SourceSpec("bench", "urls", str(listing))]
    run_id = pipeline.start_run(url, "bench", {})
    ids = pipeline.sync_sources(url, specs)
    started = time.perf_counter()
    run_discover(url, settings, specs, ids, run_id)
    discovered = time.perf_counter() - started
    started = time.perf_counter()
    result = run_fetch(url, settings, run_id, list(ids.values()))
    seconds = time.perf_counter() - started
    pipeline.finish_run(url, settings, run_id)
    if result.counts["fetched"] < args.pages:  # a bench that fetched nothing measures nothing
        raise SystemExit(f"fetched {result.counts['fetched']} of {args.pages} pages: {dict(result.counts)}")
    return {
        "hosts": len(bases),
        "pages": args.pages,
        "rate_per_host": args.rate,
        "fetched": result.counts["fetched"],
        "rejected": result.counts["rejected_fetch"],
        "discover_seconds": round(discovered, 3),
        "fetch_seconds": round(seconds, 3),
        "pages_per_second": round(result.counts["fetched"] / seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def spacing(requests: list[list[Any]]) -> dict[str, float]:
    """Per-host gaps between page requests as the server saw them (seconds)."""
    by_host: dict[int, list[float]] = {}
    for host, path, at in requests:
        if path.startswith("/gen/"):
            by_host.setdefault(host, []).append(at)
    all_gaps = []
    per_host_rate = []
    for times in by_host.values():
        times.sort()
        all_gaps += [b - a for a, b in zip(times, times[1:], strict=False)]
        if len(times) > 1:
            per_host_rate.append((len(times) - 1) / (times[-1] - times[0]))
    if not all_gaps:
        return {"min_gap_s": 0.0, "p5_gap_s": 0.0, "max_host_rate": 0.0}
    p5 = quantiles(all_gaps, n=20)[0] if len(all_gaps) > 1 else all_gaps[0]
    return {"min_gap_s": round(min(all_gaps), 4), "p5_gap_s": round(p5, 4),
            "max_host_rate": round(max(per_host_rate, default=0.0), 3)}


def server_requests(base: str, reset: bool) -> list[list[Any]]:
    with urllib.request.urlopen(base + "/__requests" + ("?reset=1" if reset else ""), timeout=10) as resp:
        return json.loads(resp.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20, help="local hosts 127.0.0.1..N")
    parser.add_argument("--rate", type=float, default=5.0, help="allowed requests per second per host")
    parser.add_argument("--pages", type=int, default=2000, help="pages of the big scenario")
    parser.add_argument("--small-pages", type=int, default=500, help="pages of the small scenario (RSS baseline)")
    parser.add_argument("--single-host-pages", type=int, default=100, help="pages of the one-host scenario")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--scenario", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bases", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(run_scenario(args)))
        return

    import pgserver

    from etl.store.db import ensure_database

    server = subprocess.Popen([sys.executable, "-m", "tests.webserver", "--hosts", str(args.hosts)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    pgdir = Path(tempfile.mkdtemp(prefix="bench-fetch-pg-"))
    pg = pgserver.get_server(pgdir, cleanup_mode="stop")
    try:
        assert server.stdout is not None
        bases = [server.stdout.readline().strip() for _ in range(args.hosts)]
        scenarios = [("1 host", 1, args.single_host_pages), (f"{args.hosts} hosts", args.hosts, args.small_pages),
                     (f"{args.hosts} hosts", args.hosts, args.pages)]
        rows = []
        for label, hosts, pages in scenarios:
            database = f"bench_{uuid.uuid4().hex[:8]}"
            ensure_database(pg.get_uri("postgres"), database)
            server_requests(bases[0], reset=True)
            out = subprocess.run(
                [sys.executable, "-m", "bench.fetch", "--scenario", "--hosts", str(hosts), "--pages", str(pages),
                 "--rate", str(args.rate), "--bases", ",".join(bases), "--db-url", pg.get_uri(database)],
                cwd=REPO, capture_output=True, text=True,
            )
            if out.returncode != 0:
                raise SystemExit(f"scenario {label}, {pages} pages failed: {out.stderr.strip()[-2000:]}")
            row = {"scenario": label, **json.loads(out.stdout.strip().splitlines()[-1]),
                   **spacing(server_requests(bases[0], reset=True))}
            rows.append(row)
            print(f"  done: {label}, {pages} pages in {row['fetch_seconds']} s", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
        pg.cleanup()
    one, small, big = rows
    interval = 1.0 / args.rate
    summary = {
        "per_host_interval_s": interval,
        "speedup_hosts_vs_one": round(big["pages_per_second"] / one["pages_per_second"], 2),
        "ideal_speedup": args.hosts,
        "per_host_limit_held": all(r["p5_gap_s"] >= 0.95 * interval for r in rows),
        "min_gap_over_interval": round(min(r["min_gap_s"] for r in rows) / interval, 3),
        "rss_growth_mb_small_to_big": round(big["peak_rss_mb"] - small["peak_rss_mb"], 1),
    }
    header = (f"{'scenario':<10} {'pages':>6} {'fetched':>7} {'seconds':>8} {'pages/s':>8} {'max host req/s':>14} "
              f"{'min gap s':>9} {'p5 gap s':>8} {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['scenario']:<10} {r['pages']:>6} {r['fetched']:>7} {r['fetch_seconds']:>8.2f} "
              f"{r['pages_per_second']:>8.2f} {r['max_host_rate']:>14.3f} {r['min_gap_s']:>9.3f} "
              f"{r['p5_gap_s']:>8.3f} {r['peak_rss_mb']:>11.1f}")
    print(json.dumps(summary, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": {"hosts": args.hosts, "rate_per_host": args.rate},
                                    "scenarios": rows, "summary": summary}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
