"""NER benchmark: words/s of one process with nlp.pipe batching vs one nlp() call per article, same run.

Run ``.venv/bin/python -m bench.ner [--rounds 3]`` (under a minute). Texts: the human-annotated
article bodies of the dev set (``aeb-*`` pages of /work/shared/datasets/news-dev, ground-truth text,
so the numbers do not move with the extractor) plus the seed article, each prefixed with a title
line like the pipeline does. The model is the configured one with only its NER pipe (as the
pipeline loads it) and is warmed up first. Each round times, on the same texts:

* ``per-article``: ``nlp(text)`` once per article;
* ``pipe``: ``nlp.pipe(texts, batch_size=NEWSETL_NER_BATCH_SIZE)``, and ``pipe batch N`` other sizes;
* ``pipe n_process=2``: spaCy's own process pool (started by each call, as spaCy does);
* ``pool x2``: ``etl.entities.extract_entities`` with ner_workers=2 (two processes, whole-machine
  throughput, not per process; its results are checked to equal the single-process ones).

The best round of each is kept (least disturbed by other work on the machine). Results: a table on
stdout and bench/results/ner.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "ner.json"
DEV_SET = REPO.parent / "shared" / "datasets" / "news-dev" / "manifest.jsonl"
SEED = REPO.parent / "shared" / "seeds" / "000_2e8ba84eba1d1d65.txt"
BATCH_SIZES = (8, 32, 128)  # nlp.pipe batch sizes compared with the configured one


def corpus() -> list[tuple[str, str]]:
    """(title, body) of every dev-set article with an annotated body, and of the seed article."""
    texts: list[tuple[str, str]] = []
    for line in DEV_SET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        body = (row.get("expected") or {}).get("text")
        if body:
            texts.append((row["id"], body))
    lines = SEED.read_text(encoding="utf-8").splitlines()
    texts.append((lines[0], "\n".join(lines[1:])))
    return texts


def run(rounds: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore")
    from etl.entities import extract_entities, load_model, shutdown_pool
    from etl.records import Article
    from etl.settings import load_settings

    settings = load_settings()
    pairs = corpus()
    texts = [f"{title}\n\n{body}"[: settings.ner_max_chars] for title, body in pairs]
    words = sum(len(t.split()) for t in texts)
    articles = [Article(url=str(i), canonical_url=str(i), title=title, text=body, language=None)
                for i, (title, body) in enumerate(pairs)]
    started = time.perf_counter()
    nlp = load_model(settings.spacy_model)
    load_seconds = time.perf_counter() - started
    nlp(texts[0])  # warm-up
    pooled_settings = settings.with_overrides(ner_workers=2)
    extract_entities(articles[:4], pooled_settings)  # start the pool and load the model in its processes

    timings: dict[str, list[float]] = {"per-article": [], "pipe": [], "pool x2": []}
    sizes = [b for b in BATCH_SIZES if b != settings.ner_batch_size]
    timings.update({f"pipe batch {b}": [] for b in sizes})
    timings["pipe n_process=2"] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            nlp(text)
        timings["per-article"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        list(nlp.pipe(texts, batch_size=settings.ner_batch_size))
        timings["pipe"].append(time.perf_counter() - t0)
        for b in sizes:
            t0 = time.perf_counter()
            list(nlp.pipe(texts, batch_size=b))
            timings[f"pipe batch {b}"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        list(nlp.pipe(texts, batch_size=settings.ner_batch_size, n_process=2))  # spaCy's own pool, started per call
        timings["pipe n_process=2"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pooled = extract_entities(articles, pooled_settings)
        timings["pool x2"].append(time.perf_counter() - t0)
    single = extract_entities(articles, settings.with_overrides(ner_workers=1))
    shutdown_pool()
    best = {k: min(v) for k, v in timings.items()}
    return {
        "model": settings.spacy_model,
        "pipes": list(nlp.pipe_names),
        "batch_size": settings.ner_batch_size,
        "articles": len(texts),
        "words": words,
        "rounds": rounds,
        "model_load_seconds": round(load_seconds, 2),
        "seconds": {k: round(v, 3) for k, v in best.items()},
        "words_per_second": {k: round(words / v) for k, v in best.items()},
        "pipe_speedup_over_per_article": round(best["per-article"] / best["pipe"], 2),
        "pool_x2_speedup_over_pipe": round(best["pipe"] / best["pool x2"], 2),
        "pool_results_identical": pooled == single,
        "all_rounds_seconds": {k: [round(x, 3) for x in v] for k, v in timings.items()},
        "machine": {"cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is kept")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args()
    result = run(args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"NER ({result['model']}, pipes {result['pipes']}) on {result['articles']} articles, "
                        f"{result['words']:,} words")
    for column in ("how", "seconds", "words/s"):
        table.add_column(column)
    for how, seconds in result["seconds"].items():
        table.add_row(how, f"{seconds:.2f}", f"{result['words_per_second'][how]:,}")
    Console().print(table)
    print(f"pipe is {result['pipe_speedup_over_per_article']}x per-article; 2 processes are "
          f"{result['pool_x2_speedup_over_pipe']}x one; pooled results identical: {result['pool_results_identical']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
