"""Which declared title source holds the gold title, and what other source orders would score.

    .venv/bin/python -m tools.title_sources ../shared/datasets/fundus/manifest.jsonl

For every page with a gold title: the JSON-LD headline, og:title, twitter:title, <title>, the first
itemprop=headline, the first <h1> inside <article>/<main> and the first <h1>, each cleaned as the
extractor cleans titles and compared as the set's score.py compares them. Prints one JSON line per
source (how often it equals the gold), then per order of preference the exact matches, pages fixed
and broken against the declared order the extractor starts from (the extractor's own title, with
its kicker and <h1> rules, is one row), and the split by site halves.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from trafilatura.utils import load_html

from etl.extract import metadata
from etl.extract.decode import decode_html

SOURCES = ("ld", "og", "twitter", "title", "itemprop", "h1_article", "h1")
Sources = dict[str, str | None]


def _norm_of(manifest: Path) -> Callable[[str | None], str]:
    spec = importlib.util.spec_from_file_location("set_score", manifest.parent.parent / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    norm: Callable[[str | None], str] = module.norm
    return norm


def _text(node: Any) -> str:
    return " ".join(" ".join(node.itertext()).split())


def sources(raw: bytes, url: str) -> Sources:
    text, _ = decode_html(raw)
    tree = load_html(text)
    if tree is None:
        return dict.fromkeys((*SOURCES, "extractor"))
    meta = metadata.meta_tags(tree)
    article = metadata.main_article(metadata.json_ld_articles(metadata.json_ld_objects(tree)), url)
    found_meta = metadata.page_metadata(tree, url)
    site = found_meta.site_name
    itemprop = tree.xpath("//*[@itemprop='headline']")
    h1_article = tree.xpath("//article//h1 | //main//h1")
    h1 = list(tree.iter("h1"))
    found = {
        "ld": metadata._text(article.get("headline")),
        "og": meta.get("og:title"),
        "twitter": meta.get("twitter:title"),
        "title": tree.findtext(".//title"),
        "itemprop": (itemprop[0].get("content") or _text(itemprop[0])) if itemprop else None,
        "h1_article": _text(h1_article[0]) if h1_article else None,
        "h1": _text(h1[0]) if h1 else None,
    }
    cleaned = {k: metadata.clean_title(html.unescape(v), site, url) if v else None for k, v in found.items()}
    return {**cleaned, "extractor": found_meta.title}


def _first(*keys: str) -> Callable[[Sources], str | None]:
    return lambda s: next((s[k] for k in keys if s[k]), None)


def _og_if(test: Callable[[Sources, Callable[[str | None], str]], bool]) -> Callable[..., str | None]:
    def pick(s: Sources, norm: Callable[[str | None], str]) -> str | None:
        if s["ld"] and s["og"] and norm(s["ld"]) != norm(s["og"]) and test(s, norm):
            return s["og"]
        return DECLARED(s)
    return pick


DECLARED = _first("ld", "og", "twitter", "title")
ORDERS: dict[str, Callable[..., str | None]] = {
    "declared (ld, og, twitter, title)": lambda s, n: DECLARED(s),
    "the extractor (page_metadata)": lambda s, n: s["extractor"],
    "og first": lambda s, n: _first("og", "ld", "twitter", "title")(s),
    "h1 in article first": lambda s, n: _first("h1_article", "ld", "og", "twitter", "title")(s),
    "first h1 first": lambda s, n: _first("h1", "ld", "og", "twitter", "title")(s),
    "itemprop headline first": lambda s, n: _first("itemprop", "ld", "og", "twitter", "title")(s),
    "og when the h1 says og": _og_if(lambda s, n: bool(s["h1_article"] or s["h1"])
                                     and n(s["h1_article"] or s["h1"]) == n(s["og"])),
    "og when ld repeats <title>": _og_if(lambda s, n: bool(s["title"]) and n(s["ld"]) == n(s["title"])),
}


def half(url: str) -> str:
    site = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return "A" if hashlib.sha256(site.encode()).digest()[0] % 2 == 0 else "B"


def main(argv: list[str]) -> None:
    manifest = Path(argv[0])
    norm = _norm_of(manifest)
    pages = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["expected"].get("title"):
            raw = gzip.decompress((manifest.parent / row["path"]).read_bytes())
            pages.append((row, sources(raw, row["url"]), norm(row["expected"]["title"])))
    for key in SOURCES:
        present = [s for _, s, _ in pages if s[key]]
        print(json.dumps({"source": key, "present": len(present),
                          "equals_gold": sum(norm(s[key]) == gold for _, s, gold in pages if s[key])}))
    print(json.dumps({"pages": len(pages), "in_no_source": sum(
        all(norm(s[k]) != gold for k in SOURCES if s[k]) for _, s, gold in pages)}))
    misses = [(s, gold) for _, s, gold in pages if norm(s["extractor"]) != gold]
    print(json.dumps({"extractor_misses": len(misses), "gold_in": {
        k: sum(bool(s[k]) and norm(s[k]) == gold for s, gold in misses) for k in SOURCES}}))
    base = [norm(DECLARED(s)) == gold for _, s, gold in pages]
    for name, pick in ORDERS.items():
        ok = [norm(pick(s, norm)) == gold for _, s, gold in pages]
        halves = {h: f"{sum(o for o, (r, _, _) in zip(ok, pages, strict=True) if half(r['url']) == h)}/"
                     f"{sum(1 for r, _, _ in pages if half(r['url']) == h)}" for h in "AB"}
        print(json.dumps({"order": name, "exact": sum(ok), "of": len(ok),
                          "fixed": sum(o and not b for o, b in zip(ok, base, strict=True)),
                          "broken": sum(b and not o for o, b in zip(ok, base, strict=True)), "half_A": halves["A"],
                          "half_B": halves["B"]}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
