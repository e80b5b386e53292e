"""Entity quality gate: `make bench-entities`.

Runs the `newsetl entities` contract (``tools.entity_bench.run_entities``: a scratch warehouse, the
real discover -> fetch -> process path) on the articles of news-dev's ``entities-gold.jsonl`` (pages
from news-dev's manifest), after the other dev sets as context (fundus, traf-eval, dates-eval:
their pages are loaded first, so whatever the warehouse learns from them acts on the gold
articles). The predictions are scored with news-dev's own ``score_entities.py``: overall, and on
each half of a split of the gold articles by site (hosts sorted by their sha256, alternately into
half A and half B), so a rule tuned on one half can be checked on the other.

Throughput: on the same target articles as stored in the warehouse, words/s of plain
``nlp.pipe`` over title + blank line + body (what NER alone costs) beside
``etl.entities.extract_entities`` (NER plus everything the entity stage does around it), best of
three rounds, one process.

Writes bench/results/entities.json (``--baseline``: entities-baseline.json, today's numbers kept
for comparison), rewrites the README block between ``<!-- bench-entities:begin/end -->`` from the
results files, and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.readme import replace_block

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO.parent / "shared" / "datasets"
DEV = DATASETS / "news-dev"
GOLD = DEV / "entities-gold.jsonl"
SCORER = DEV / "score_entities.py"
CONTEXT = tuple(DATASETS / name / "manifest.jsonl" for name in ("fundus", "traf-eval", "dates-eval"))
RESULTS = REPO / "bench" / "results"
# measure -> (target, direction): "min" must be at least the target, "max" at most
TARGETS: dict[str, tuple[float, str]] = {
    "precision": (0.92, "min"), "recall": (0.90, "min"), "canonical": (0.90, "min"), "typed": (0.88, "min"),
    "main_at_3": (0.85, "min"), "split": (10, "max"),
}
ROUNDS = 3


def gold_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def site_halves(urls: dict[str, str]) -> dict[str, str]:
    """Article id -> 'A' or 'B': hosts ordered by sha256 of the host name, alternately into A and B."""
    hosts = sorted({urlsplit(u).hostname or "" for u in urls.values()},
                   key=lambda h: hashlib.sha256(h.encode()).hexdigest())
    half_of_host = {h: "AB"[i % 2] for i, h in enumerate(hosts)}
    return {gid: half_of_host[urlsplit(u).hostname or ""] for gid, u in urls.items()}


def score(gold: Path, pred: Path, by_article: Path | None = None) -> dict[str, Any]:
    args = [sys.executable, str(SCORER), str(gold), str(pred)]
    if by_article is not None:
        args += ["--by-article", str(by_article)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def throughput(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """words/s of plain nlp.pipe vs the entity stage on the same articles (English ones)."""
    from etl.entities import extract_entities, load_model
    from etl.records import Article
    from etl.settings import load_settings

    settings = load_settings()
    arts = [Article(url=str(i), canonical_url=str(i), title=a["title"], text=a["text"], language=a["language"])
            for i, a in enumerate(articles) if a["language"] in (None, "en")]
    texts = [(f"{a.title}\n\n" if a.title else "") + a.text for a in arts]
    words = sum(len(t.split()) for t in texts)
    nlp = load_model(settings.spacy_model)
    extract_entities(arts[:4], settings)  # warm-up (loads every model the stage uses)
    best = {"nlp.pipe": float("inf"), "entity stage": float("inf")}
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        list(nlp.pipe(texts, batch_size=settings.ner_batch_size))
        best["nlp.pipe"] = min(best["nlp.pipe"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        extract_entities(arts, settings)
        best["entity stage"] = min(best["entity stage"], time.perf_counter() - t0)
    return {"articles": len(arts), "words": words, "rounds": ROUNDS,
            "seconds": {k: round(v, 3) for k, v in best.items()},
            "words_per_second": {k: round(words / v) for k, v in best.items()},
            "stage_over_pipe": round(best["entity stage"] / best["nlp.pipe"], 3)}


def resolution_preview(warehouse: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Phase-2 preview, not the gate and not what the warehouse holds: the pure evidence-based
    resolution (etl.entities.resolve) over every article of the scratch warehouse, seeds as
    overrides, applied to the gold articles and scored the same way; with its cost beside NER's."""
    from etl.entities import extract_evidence
    from etl.entities.resolve import ArticleEvidence, EntityEvidence, resolve
    from etl.records import Article
    from etl.seeds import read_alias_seeds
    from etl.settings import load_settings

    seeds = read_alias_seeds()
    seed_of = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in seeds}
    arts = [Article(url=str(a["article_id"]), canonical_url=str(a["article_id"]), title=a["title"], text=a["text"],
                    language=a["language"]) for a in warehouse]
    t0 = time.perf_counter()
    found = extract_evidence(arts, load_settings())
    ner_seconds = time.perf_counter() - t0
    evidence: list[ArticleEvidence] = []
    salience: dict[str, dict[str, float]] = {}
    for a, ents in zip(warehouse, found, strict=True):
        items = []
        for m, short in ents:
            name, label = seed_of.get((m.name, m.label), (m.name, m.label))
            items.append(EntityEvidence(name, label, m.mention_count, short))
            salience.setdefault(str(a["article_id"]), {}).setdefault(name, 0.0)
            salience[str(a["article_id"])][name] += m.salience
        evidence.append(ArticleEvidence(str(a["article_id"]), tuple(items)))
    t0 = time.perf_counter()
    res = resolve(evidence, overrides={s.alias: (s.canonical, s.canonical_type) for s in seeds})
    resolve_seconds = time.perf_counter() - t0
    pred = folder / "preview.jsonl"
    with pred.open("w", encoding="utf-8") as sink:
        for a, ev in zip(warehouse, evidence, strict=True):
            if a["id"] is None:
                continue
            merged: dict[tuple[str, str], float] = {}
            for e in ev.entities:
                key = res.resolve_name(e.name, e.label)
                merged[key] = merged.get(key, 0.0) + salience[str(a["article_id"])][e.name]
            ents_out = [{"name": n, "type": t, "salience": v}
                        for (n, t), v in sorted(merged.items(), key=lambda x: -x[1])]
            sink.write(json.dumps({"id": a["id"], "entities": ents_out}, ensure_ascii=False) + "\n")
    scores = {"overall": score(GOLD, pred)}
    for half in "AB":
        scores[f"half {half}"] = score(folder / f"gold-{half}.jsonl", pred)
    return {"scores": scores, "articles": len(warehouse), "aliases": len(res.alias_of),
            "ner_seconds": round(ner_seconds, 2), "resolve_seconds": round(resolve_seconds, 3),
            "resolve_over_ner": round(resolve_seconds / max(ner_seconds, 1e-9), 4)}


def run(prefix: str) -> dict[str, Any]:
    from etl.settings import load_settings
    from tools.entity_bench import read_manifest, run_entities, write_predictions

    gold = gold_rows()
    ids = {g["id"] for g in gold}
    urls = {p.id: p.url for p in read_manifest(DEV / "manifest.jsonl", ids)}
    halves = site_halves(urls)
    started = time.perf_counter()
    result = run_entities(DEV / "manifest.jsonl", load_settings(), context=CONTEXT, ids=ids)
    seconds = time.perf_counter() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-entities-") as tmp:
        folder = Path(tmp)
        pred = folder / "pred.jsonl"
        write_predictions(result.predictions, pred)
        scores = {"overall": score(GOLD, pred, RESULTS / f"{prefix}-by-article.jsonl")}
        for half in "AB":
            part = folder / f"gold-{half}.jsonl"
            part.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold if halves[g["id"]] == half),
                            encoding="utf-8")
            scores[f"half {half}"] = score(part, pred)
        preview = resolution_preview(result.warehouse, folder) if result.warehouse else None
    (RESULTS / f"{prefix}-predictions.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in result.predictions), encoding="utf-8")
    return {
        "gold": str(GOLD.relative_to(REPO.parent)),
        "context": [str(c.relative_to(REPO.parent)) for c in CONTEXT],
        "scores": scores,
        "halves": {h: sorted({urlsplit(urls[i]).hostname or "" for i in halves if halves[i] == h}) for h in "AB"},
        "targets": {k: v[0] for k, v in TARGETS.items()},
        "failed": failed_targets(scores["overall"]),
        "throughput": throughput(list(result.articles.values())),
        "resolution_preview": preview,
        "runs": result.summaries,
        "run_seconds": result.seconds,
        "seconds": round(seconds, 1),
        "python": platform.python_version(),
    }


def failed_targets(overall: dict[str, Any]) -> list[str]:
    out = []
    for measure, (target, direction) in TARGETS.items():
        value = overall.get(measure)
        if value is None or (value < target if direction == "min" else value > target):
            out.append(measure)
    return out


def _row(label: str, s: dict[str, Any]) -> str:
    return (f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['canonical']:.3f} | {s['typed']:.3f} "
            f"| {s['main_at_3']:.3f} | {s['split']} | {s['articles']} |")


def readme_block(current: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    """The README table, generated from the results files."""
    lines = ["| run | precision | recall | canonical | typed | main@3 | split | articles |",
             "|---|---|---|---|---|---|---|---|"]
    t = current["targets"]
    lines.append(f"| target | ≥ {t['precision']} | ≥ {t['recall']} | ≥ {t['canonical']} | ≥ {t['typed']} "
                 f"| ≥ {t['main_at_3']} | ≤ {t['split']} | |")
    for name, res in (("before (baseline)", baseline), ("now", current)):
        if res is None:
            continue
        for part in ("overall", "half A", "half B"):
            lines.append(_row(f"{name}, {part}", res["scores"][part]))
    preview = current.get("resolution_preview")
    if preview:
        lines.append(_row("phase-2 preview: resolve.py over the warehouse, not stored", preview["scores"]["overall"]))
    tp = current["throughput"]
    lines += ["", f"Throughput on the {tp['articles']} gold articles as stored ({tp['words']:,} words, one process, "
              f"best of {tp['rounds']}): plain `nlp.pipe` {tp['words_per_second']['nlp.pipe']:,} words/s, the entity "
              f"stage (NER + mentions + salience) {tp['words_per_second']['entity stage']:,} words/s "
              f"({tp['stage_over_pipe']:.2f}x the time of `nlp.pipe`)."]
    if preview:
        lines.append(f"The preview resolves the evidence of all {preview['articles']} articles of the scratch "
                     f"warehouse "
                     f"(seeds as overrides; {preview['aliases']} aliases) in {preview['resolve_seconds']} s, "
                     f"{preview['resolve_over_ner']:.2%} of their NER time ({preview['ner_seconds']} s).")
    if baseline is not None:
        btp = baseline["throughput"]
        lines.append(f"Baseline: `nlp.pipe` {btp['words_per_second']['nlp.pipe']:,} words/s, entity stage "
                     f"{btp['words_per_second']['entity stage']:,} words/s.")
    lines += ["", "all targets met" if not current["failed"] else f"missed: {', '.join(current['failed'])}"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="store_true", help="write entities-baseline.json instead")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    prefix = "entities-baseline" if args.baseline else "entities"
    res = run(prefix)
    path = RESULTS / f"{prefix}.json"
    path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    baseline_path = RESULTS / "entities-baseline.json"
    baseline = json.loads(baseline_path.read_text(encoding="utf-8")) if baseline_path.exists() else None
    current_path = RESULTS / "entities.json"
    if current_path.exists():
        replace_block("bench-entities", readme_block(json.loads(current_path.read_text(encoding="utf-8")), baseline))
    else:  # only the baseline measured so far
        replace_block("bench-entities", readme_block(res, None))
    print(json.dumps({k: res[k] for k in ("scores", "failed", "throughput", "seconds")}, indent=1))
    return 1 if res["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
