"""Extraction quality gate: newsetl against plain trafilatura, htmldate and newspaper4k on the dev set.

`make bench-quality` runs `newsetl extract` (the project's real path) over the dev manifest and,
in this process, the reference extractors on the same pages; every prediction file is scored
with the dev set's own score.py. Speed is CPU time per page, measured interleaved page by page
in this one process (other work on the machine does not skew the ratio). Writes
bench/results/quality.md and quality.json, and exits non-zero when a gate fails:
body F1 < 0.976, date accuracy < 0.95, a page with truth text extracted empty, or newsetl
slower than 0.7 x plain trafilatura.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.readme import replace_block

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO.parent / "shared" / "datasets" / "news-dev" / "manifest.jsonl"
RESULTS = REPO / "bench" / "results"
GATE_BODY_F1 = 0.976
GATE_DATE_ACCURACY = 0.95
GATE_THROUGHPUT = 0.7
# Timed passes over the pages (after one warm-up pass over a few of them).
ROUNDS = 2
WARMUP_PAGES = 8


@dataclass
class Page:
    """One manifest row with its bytes and expected values."""

    id: str
    url: str
    body: bytes
    expected: dict[str, Any]


@dataclass
class Contender:
    """An extractor under test: a function page -> prediction dict, and its timings."""

    name: str
    run: Callable[[Page], dict[str, Any]]
    body: bool = True
    dates: bool = True
    seconds: float = 0.0
    pages: int = 0
    predictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    score: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def manifest_path() -> Path:
    """The dev manifest: NEWSETL_DEV_SET, else the shared news-dev set next to the repository."""
    return Path(os.environ.get("NEWSETL_DEV_SET") or DEFAULT_MANIFEST)


def load_pages(manifest: Path) -> list[Page]:
    pages = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        path = manifest.parent / row["path"]
        body = path.read_bytes()
        if path.suffix == ".gz":
            body = gzip.decompress(body)
        pages.append(Page(row["id"], row.get("url") or path.as_uri(), body, row.get("expected", {})))
    return pages


def score(manifest: Path, predictions: Path) -> dict[str, Any]:
    """The dev set's own scorer, run as its authors run it."""
    proc = subprocess.run(
        [sys.executable, str(manifest.parent / "score.py"), str(manifest), str(predictions)],
        capture_output=True, text=True, check=True, timeout=600,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_newsetl_cli(manifest: Path, out: Path) -> None:
    """`newsetl extract`, the CLI contract, in its own process."""
    newsetl = Path(sys.executable).parent / "newsetl"
    command = [str(newsetl)] if newsetl.exists() else [sys.executable, "-m", "etl.cli"]
    subprocess.run([*command, "extract", "--manifest", str(manifest), "--out", str(out)],
                   check=True, timeout=3600, cwd=REPO, capture_output=True, text=True)


def contenders() -> list[Contender]:
    """newsetl's extract stage and the plain references, each page -> {text, published_at}."""
    import newspaper
    import trafilatura
    from htmldate import find_date

    from etl.extract.decode import DecodeError, decode_html
    from etl.extract.page import extract_page
    from etl.records import RawPage
    from etl.settings import load_settings
    from etl.urls import url_hash
    from tools.manifests import article_json

    settings = load_settings()

    def run_newsetl(page: Page) -> dict[str, Any]:
        raw = RawPage(0, url_hash(page.url), page.url, page.url, 0, page.body, None, {})
        return article_json(page.id, extract_page(raw, settings))

    def run_trafilatura(page: Page) -> dict[str, Any]:
        doc = trafilatura.bare_extraction(page.body, url=page.url, favor_precision=True, with_metadata=True)
        return {"text": getattr(doc, "text", None) or "", "published_at": getattr(doc, "date", None)}

    def run_htmldate(page: Page) -> dict[str, Any]:
        found = find_date(page.body, url=page.url, original_date=True, extensive_search=True,
                          outputformat="%Y-%m-%dT%H:%M:%S%z")
        return {"published_at": found}

    config = newspaper.Config()
    config.fetch_images = False  # no network from a benchmark
    config.follow_meta_refresh = False

    def run_newspaper(page: Page) -> dict[str, Any]:
        try:
            html = decode_html(page.body)[0]
        except DecodeError:
            html = page.body.decode("utf-8", "replace")
        article = newspaper.Article(page.url, config=config)
        try:
            article.download(input_html=html)
            article.parse()
        except Exception:  # newspaper raises ArticleException and friends on odd pages
            return {"text": "", "published_at": None}
        published = article.publish_date.isoformat() if article.publish_date else None
        return {"text": article.text or "", "published_at": published}

    return [
        Contender("newsetl", run_newsetl),
        Contender("trafilatura (plain, precision)", run_trafilatura),
        Contender("htmldate (original, extensive)", run_htmldate, body=False),
        Contender("newspaper4k (plain)", run_newspaper),
    ]


def measure(pages: list[Page], runners: list[Contender]) -> None:
    """Run every contender on every page, interleaved, timing CPU seconds; keep round one's output."""
    for runner in runners:
        for page in pages[:WARMUP_PAGES]:
            runner.run(page)
    for round_index in range(ROUNDS):
        for index, page in enumerate(pages):
            order = runners if (index + round_index) % 2 == 0 else list(reversed(runners))
            for runner in order:
                start = time.process_time()
                prediction = runner.run(page)
                runner.seconds += time.process_time() - start
                runner.pages += 1
                if round_index == 0:
                    prediction["id"] = page.id
                    runner.predictions[page.id] = prediction


def write_predictions(runner: Contender, folder: Path) -> Path:
    path = folder / (runner.name.split()[0] + ".jsonl")
    with path.open("w", encoding="utf-8") as sink:
        for prediction in runner.predictions.values():
            sink.write(json.dumps(prediction, ensure_ascii=False, default=str) + "\n")
    return path


def empty_bodies(pages: list[Page], predictions: dict[str, dict[str, Any]]) -> list[str]:
    """Pages whose truth has text but whose prediction has none."""
    return [p.id for p in pages if (p.expected.get("text") or "").strip()
            and not (predictions.get(p.id, {}).get("text") or "").strip()]


def table(rows: list[dict[str, Any]]) -> str:
    def cell(value: Any, digits: int = 4) -> str:
        if value is None:
            return "—"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = ["| extractor | body F1 | precision | recall | date accuracy | pages/s | throughput vs plain trafilatura |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['extractor']} | {cell(row['body_f1'])} | {cell(row['body_precision'])} | "
            f"{cell(row['body_recall'])} | {cell(row['date_accuracy'])} | {cell(row['pages_per_second'], 1)} | "
            f"{cell(row['throughput_ratio'], 2)} |"
        )
    return "\n".join(lines)


def gates(newsetl: dict[str, Any], empty: list[str]) -> list[str]:
    """The failed gates, in words (empty when all pass)."""
    failed = []
    if (newsetl.get("body_f1") or 0.0) < GATE_BODY_F1:
        failed.append(f"body F1 {newsetl.get('body_f1')} < {GATE_BODY_F1}")
    if (newsetl.get("date_accuracy") or 0.0) < GATE_DATE_ACCURACY:
        failed.append(f"date accuracy {newsetl.get('date_accuracy')} < {GATE_DATE_ACCURACY}")
    if empty:
        failed.append(f"{len(empty)} page(s) with truth text came back empty: {', '.join(empty[:10])}")
    if (newsetl.get("throughput_ratio") or 0.0) < GATE_THROUGHPUT:
        failed.append(f"throughput {newsetl.get('throughput_ratio'):.2f} x plain trafilatura < {GATE_THROUGHPUT}")
    return failed


def main() -> int:
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    manifest = manifest_path()
    if not manifest.exists():
        print(f"dev set not found: {manifest} (set NEWSETL_DEV_SET)", file=sys.stderr)
        return 2
    pages = load_pages(manifest)
    runners = contenders()
    with tempfile.TemporaryDirectory(prefix="newsetl-quality-") as tmp:
        folder = Path(tmp)
        cli_out = folder / "newsetl-cli.jsonl"
        run_newsetl_cli(manifest, cli_out)
        cli_score = score(manifest, cli_out)
        cli_predictions = {
            o["id"]: o for o in (json.loads(x) for x in cli_out.read_text(encoding="utf-8").splitlines() if x.strip())
        }
        measure(pages, runners)
        for runner in runners:
            runner.score = score(manifest, write_predictions(runner, folder))
    plain = runners[1]
    rows = []
    for runner in runners:
        result = cli_score if runner.name == "newsetl" else runner.score
        ratio = runner.pages_per_second / plain.pages_per_second if plain.pages_per_second else None
        rows.append({
            "extractor": runner.name if runner.name != "newsetl" else "newsetl (`newsetl extract`)",
            "body_f1": result.get("body_f1") if runner.body else None,
            "body_precision": result.get("body_precision") if runner.body else None,
            "body_recall": result.get("body_recall") if runner.body else None,
            "date_accuracy": result.get("date_accuracy") if runner.dates else None,
            "pages_per_second": runner.pages_per_second,
            "throughput_ratio": ratio,
        })
    newsetl = rows[0]
    empty = empty_bodies(pages, cli_predictions)
    in_process = runners[0].score
    failed = gates(newsetl, empty)
    report = table(rows)
    notes = (
        f"\n\n{len(pages)} pages of {manifest}; pages/s is CPU time on one core, {ROUNDS} interleaved rounds. "
        f"newsetl in-process scored body F1 {in_process.get('body_f1')}, date accuracy "
        f"{in_process.get('date_accuracy')} (the CLI row above is the gate)."
    )
    verdict = "all gates pass" if not failed else "FAILED: " + "; ".join(failed)
    print(report + notes + "\n\n" + verdict)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.md").write_text(
        "# Extraction quality (bench/quality.py)\n\n" + report + notes + "\n\n" + verdict + "\n", encoding="utf-8"
    )
    (RESULTS / "quality.json").write_text(json.dumps({
        "manifest": str(manifest), "pages": len(pages), "rows": rows, "empty_bodies": empty,
        "gates": {"body_f1": GATE_BODY_F1, "date_accuracy": GATE_DATE_ACCURACY, "throughput_ratio": GATE_THROUGHPUT},
        "failed": failed,
    }, indent=2), encoding="utf-8")
    replace_block("bench-quality", report + notes + "\n\n" + verdict)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
