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
three rounds, one process. The resolution step's cost: its seconds (stage timing ``resolve`` of
each run) against the entity stage's (``entities``), summed over the runs of the scratch warehouse;
the gate fails when it exceeds 15% of NER time.

Ceiling (``canonical_ceiling``): how high canonical could go from evidence the warehouse holds, if
every match took its gold canonical wherever the article, any page of the warehouse or a seed
writes it; what stays below it needs knowledge the text does not hold.

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
RESOLVE_BUDGET = 0.15  # the resolution step may cost at most this share of NER time


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
    from etl.seeds import seed_gazetteer
    from etl.settings import load_settings

    settings = load_settings()
    arts = [Article(url=str(i), canonical_url=str(i), title=a["title"], text=a["text"], language=a["language"])
            for i, a in enumerate(articles) if a["language"] in (None, "en")]
    texts = [(f"{a.title}\n\n" if a.title else "") + a.text for a in arts]
    words = sum(len(t.split()) for t in texts)
    nlp = load_model(settings.spacy_model)
    known = seed_gazetteer()  # as the process stage passes them
    extract_entities(arts[:4], settings, known=known)  # warm-up (loads every model the stage uses)
    best = {"nlp.pipe": float("inf"), "entity stage": float("inf")}
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        list(nlp.pipe(texts, batch_size=settings.ner_batch_size))
        best["nlp.pipe"] = min(best["nlp.pipe"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        extract_entities(arts, settings, known=known)
        best["entity stage"] = min(best["entity stage"], time.perf_counter() - t0)
    return {"articles": len(arts), "words": words, "rounds": ROUNDS,
            "seconds": {k: round(v, 3) for k, v in best.items()},
            "words_per_second": {k: round(words / v) for k, v in best.items()},
            "stage_over_pipe": round(best["entity stage"] / best["nlp.pipe"], 3)}


def plain_pipe_seconds(articles: list[dict[str, Any]]) -> tuple[float, int]:
    """Seconds of plain ``nlp.pipe`` (each language's model, one round) over the title + body of the
    articles NER reads (those in a language with a model), and their words."""
    from etl.entities import language_models, load_model
    from etl.settings import load_settings

    settings = load_settings()
    models = language_models(settings)
    by_language: dict[str, list[str]] = {}
    for a in articles:
        lang = (a["language"] or "en").strip().lower()
        if lang in models:
            by_language.setdefault(lang, []).append(((a["title"] or "") + "\n\n" + a["text"]).strip())
    seconds, words = 0.0, 0
    for lang, texts in sorted(by_language.items()):
        nlp = load_model(models[lang])
        list(nlp.pipe(texts[:2]))  # warm-up
        t0 = time.perf_counter()
        list(nlp.pipe(texts, batch_size=settings.ner_batch_size))
        seconds += time.perf_counter() - t0
        words += sum(len(t.split()) for t in texts)
    return seconds, words


def resolution_cost(runs: list[dict[str, Any]], warehouse: list[dict[str, Any]]) -> dict[str, Any]:
    """The resolution step against NER, as the runs of the scratch warehouse measured them: seconds of
    the entity stage (NER and everything around it, in the process stage) and of the resolution step
    (after it), summed over the runs; and words/s over the articles NER read, beside plain
    ``nlp.pipe`` on the same texts."""
    ner = sum(float(r["stage_timings"].get("entities", 0.0)) for r in runs)
    resolve = sum(float(r["stage_timings"].get("resolve", 0.0)) for r in runs)
    pipe, words = plain_pipe_seconds(warehouse)
    keys = sum(int(float(r["counts"].get("entity_keys_resolved", 0))) for r in runs)
    rebuilt = sum(int(float(r["counts"].get("entity_articles_resolved", 0))) for r in runs)
    return {"articles": len(warehouse), "words": words, "ner_seconds": round(ner, 2),
            "resolve_seconds": round(resolve, 3), "resolve_over_ner": round(resolve / max(ner, 1e-9), 4),
            "pipe_seconds": round(pipe, 2), "keys_decided": keys, "articles_derived": rebuilt,
            "words_per_second": {"nlp.pipe": round(words / max(pipe, 1e-9)),
                                 "entity stage": round(words / max(ner, 1e-9)),
                                 "entity stage + resolution": round(words / max(ner + resolve, 1e-9))},
            "target_resolve_over_ner": RESOLVE_BUDGET}


def _scorer_key() -> Any:
    """news-dev's own name key (score_entities.key), so the ceiling matches names as the scorer does."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_entities", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.key


def canonical_ceiling(gold: list[dict[str, Any]], predictions: list[dict[str, Any]],
                      articles: dict[str, dict[str, Any]], warehouse: list[dict[str, Any]]) -> dict[str, Any]:
    """How high canonical could go from the evidence the warehouse holds, with these matches.

    canonical is scored per article as matched predictions named by the gold canonical itself. A
    prediction that matched a gold entity under another of its names could take the canonical by
    resolution by evidence only when something the warehouse reads writes it: the article itself,
    any page of the warehouse (the context included), or a seed alias's canonical
    (seeds/entity_aliases.csv). The ceilings count every such prediction as fixed, so they are upper
    bounds (a name written is not yet a name read as that entity); what stays below them needs
    knowledge the text does not hold ("Ford" -> "Ford Motor Company", "Boston" -> "Boston Bruins").
    Averaged over the gold articles as score_entities.py averages (an article with no match: 0)."""
    from etl.seeds import read_alias_seeds

    key = _scorer_key()
    seeds = {key(s.canonical) for s in read_alias_seeds()}
    pages = "\n".join(f"{a.get('title') or ''}\n{a.get('text') or ''}" for a in warehouse).casefold()
    pred = {p["id"]: p for p in predictions}
    totals = {"now": 0.0, "written in the article": 0.0, "written in the warehouse or a seed": 0.0}
    unreachable = 0
    for g in gold:
        forms: dict[str, dict[str, Any]] = {}
        for e in g["entities"]:
            for f in [e["name"], *e.get("aliases", [])]:
                forms.setdefault(key(f), e)
        art = articles.get(g["id"]) or {}
        text = f"{art.get('title') or ''}\n{art.get('text') or ''}".casefold()
        matched, hits = 0, dict.fromkeys(totals, 0)
        for pe in pred.get(g["id"], {}).get("entities", []):
            ge = forms.get(key(pe["name"]))
            if ge is None:
                continue
            matched += 1
            exact = key(pe["name"]) == key(ge["name"])
            canonical = ge["name"].casefold()
            in_article = exact or canonical in text
            anywhere = in_article or canonical in pages or key(ge["name"]) in seeds
            hits["now"] += exact
            hits["written in the article"] += in_article
            hits["written in the warehouse or a seed"] += anywhere
            unreachable += not anywhere
        for name in totals:
            totals[name] += hits[name] / matched if matched else 0.0
    out: dict[str, Any] = {name: round(v / max(len(gold), 1), 4) for name, v in totals.items()}
    out["matches without their canonical anywhere"] = unreachable
    return out


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
    (RESULTS / f"{prefix}-predictions.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in result.predictions), encoding="utf-8")
    resolution = resolution_cost(result.summaries, result.warehouse)
    return {
        "gold": str(GOLD.relative_to(REPO.parent)),
        "context": [str(c.relative_to(REPO.parent)) for c in CONTEXT],
        "scores": scores,
        "halves": {h: sorted({urlsplit(urls[i]).hostname or "" for i in halves if halves[i] == h}) for h in "AB"},
        "targets": {k: v[0] for k, v in TARGETS.items()},
        "failed": failed_targets(scores["overall"], resolution),
        "canonical_ceiling": canonical_ceiling(gold, result.predictions, result.articles, result.warehouse),
        "throughput": throughput(list(result.articles.values())),
        "resolution": resolution,
        "runs": result.summaries,
        "run_seconds": result.seconds,
        "seconds": round(seconds, 1),
        "python": platform.python_version(),
    }


def failed_targets(overall: dict[str, Any], resolution: dict[str, Any] | None = None) -> list[str]:
    out = []
    for measure, (target, direction) in TARGETS.items():
        value = overall.get(measure)
        if value is None or (value < target if direction == "min" else value > target):
            out.append(measure)
    if resolution is not None and resolution["resolve_over_ner"] > RESOLVE_BUDGET:
        out.append("resolution cost")
    return out


def missed_by(current: dict[str, Any]) -> str:
    """The missed targets with their margins, from a results file ("precision 0.865 (target ≥ 0.92,
    -0.055)"); the resolution cost as its share of NER time."""
    overall = current["scores"]["overall"]
    parts = []
    for measure in current["failed"]:
        if measure not in TARGETS:
            parts.append(f"{measure} {current['resolution']['resolve_over_ner']:.1%} of NER time "
                         f"(budget {RESOLVE_BUDGET:.0%})")
            continue
        target, direction = TARGETS[measure]
        value = overall[measure]
        if direction == "min":
            parts.append(f"{measure} {value:.3f} (target ≥ {target}, {value - target:+.3f})")
        else:
            parts.append(f"{measure} {value} (target ≤ {target}, {value - target:+})")
    return "; ".join(parts)


def _row(label: str, s: dict[str, Any]) -> str:
    return (f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['canonical']:.3f} | {s['typed']:.3f} "
            f"| {s['main_at_3']:.3f} | {s['split']} | {s['articles']} |")


def readme_block(current: dict[str, Any], baseline: dict[str, Any] | None,
                 phase1: dict[str, Any] | None = None, phase2: dict[str, Any] | None = None) -> str:
    """The README table, generated from the results files (phase 1: entities-phase1.json, the results
    before resolution by evidence was stored; phase 2: entities-phase2.json, before the round-3
    mention and salience rules)."""
    lines = ["| run | precision | recall | canonical | typed | main@3 | split | articles |",
             "|---|---|---|---|---|---|---|---|"]
    t = current["targets"]
    lines.append(f"| target | ≥ {t['precision']} | ≥ {t['recall']} | ≥ {t['canonical']} | ≥ {t['typed']} "
                 f"| ≥ {t['main_at_3']} | ≤ {t['split']} | |")
    for name, res in (("before (baseline)", baseline), ("phase 1", phase1), ("phase 2", phase2), ("now", current)):
        if res is None:
            continue
        for part in ("overall", "half A", "half B"):
            lines.append(_row(f"{name}, {part}", res["scores"][part]))
    tp = current["throughput"]
    lines += ["", f"Throughput on the {tp['articles']} gold articles as stored ({tp['words']:,} words, one process, "
              f"best of {tp['rounds']}): plain `nlp.pipe` {tp['words_per_second']['nlp.pipe']:,} words/s, the entity "
              f"stage (NER + mentions + salience) {tp['words_per_second']['entity stage']:,} words/s "
              f"({tp['stage_over_pipe']:.2f}x the time of `nlp.pipe`)."]
    res = current.get("resolution")
    if res:
        wps = res["words_per_second"]
        lines.append(f"The resolution step (after the process stage of each of the {len(current['runs'])} runs, "
                     f"over the {res['articles']} articles of the scratch warehouse: {res['keys_decided']:,} key "
                     f"decisions, {res['articles_derived']:,} article links derived) took {res['resolve_seconds']} s, "
                     f"{res['resolve_over_ner']:.1%} of the entity stage's {res['ner_seconds']} s (budget "
                     f"{res['target_resolve_over_ner']:.0%}). On those runs' texts ({res['words']:,} words): plain "
                     f"`nlp.pipe` {wps['nlp.pipe']:,} words/s, entity stage {wps['entity stage']:,} words/s, "
                     f"entity stage + resolution {wps['entity stage + resolution']:,} words/s.")
    if baseline is not None:
        btp = baseline["throughput"]
        lines.append(f"Baseline: `nlp.pipe` {btp['words_per_second']['nlp.pipe']:,} words/s, entity stage "
                     f"{btp['words_per_second']['entity stage']:,} words/s.")
    ceiling = current.get("canonical_ceiling")
    if ceiling:
        lines += ["", f"Canonical from evidence, at most (`canonical_ceiling`, with today's matches): "
                  f"{ceiling['written in the article']:.3f} if every match took its gold canonical where the "
                  f"article writes it, {ceiling['written in the warehouse or a seed']:.3f} where any page of the "
                  f"warehouse or a seed alias writes it (now {ceiling['now']:.3f}, target {t['canonical']}); "
                  f"{ceiling['matches without their canonical anywhere']} matches have a canonical written "
                  f"nowhere the warehouse reads."]
    lines += ["", "all targets met" if not current["failed"] else f"missed: {missed_by(current)}"]
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
    phase1_path = RESULTS / "entities-phase1.json"
    phase1 = json.loads(phase1_path.read_text(encoding="utf-8")) if phase1_path.exists() else None
    phase2_path = RESULTS / "entities-phase2.json"
    phase2 = json.loads(phase2_path.read_text(encoding="utf-8")) if phase2_path.exists() else None
    if current_path.exists():
        replace_block("bench-entities", readme_block(json.loads(current_path.read_text(encoding="utf-8")), baseline,
                                                     phase1, phase2))
    else:  # only the baseline measured so far
        replace_block("bench-entities", readme_block(res, None))
    print(json.dumps({k: res[k] for k in ("scores", "failed", "throughput", "seconds")}, indent=1))
    return 1 if res["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
