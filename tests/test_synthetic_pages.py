"""The scale benchmark's varied copies (bench/synthetic.py): other stories, same markup, still extractable."""

from __future__ import annotations

import json

from bench.synthetic import MARKUP, vary_page
from etl.dedup import DUPLICATE_JACCARD, fingerprint
from etl.extract.page import extract_page
from etl.records import Article, RawPage
from etl.settings import load_settings

PARAGRAPHS = [
    "The harbour council of Westmere voted on Tuesday to close the old ferry pier for repairs, ending a "
    "decade of arguments between fishermen, shop owners and the regional transport office.",
    "Council member Ada Lindqvist said the pier had become unsafe after the winter storms and that divers "
    "found cracked pillars under the eastern landing during an inspection in March.",
    "Fishermen who moor their boats along the pier said they were given only two weeks to move, and several "
    "asked the council to open the northern quay to small vessels while the work goes on.",
    "The transport office estimated the repairs at four million crowns and said the money would come from a "
    "fund set aside for coastal works, without raising the harbour fees paid by local boat owners.",
    "Shop owners on Quay Street worried that fewer visitors would come without the ferry, which carries "
    "tourists to the islands every summer, and asked for a temporary landing near the market square.",
    "Lindqvist promised that a floating landing would be ready before the first summer ferry in June and "
    "that the council would publish a weekly report on the progress of the work on its website.",
    "Engineers from the regional office will begin by removing the wooden deck, then replace the damaged "
    "pillars one by one, a method they say keeps the western half of the pier open to pedestrians.",
    "The last major repair of the pier, in the nineteen eighties, took almost two years, and older residents "
    "recalled long queues of cars waiting for the replacement ferry at the southern beach.",
]


def page_html(title: str = "Westmere closes its old ferry pier for repairs") -> bytes:
    ld = {"@type": "NewsArticle", "headline": title, "description": PARAGRAPHS[0][:80],
          "author": {"@type": "Person", "name": "Mira Holt"}}
    body = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Westmere Tidings</title>
<meta property="og:title" content="{title}"><meta name="description" content="{PARAGRAPHS[0][:80]}">
<script type="application/ld+json">{json.dumps(ld)}</script><style>p {{ margin: 0 }}</style></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>{title}</h1>
<p class="byline">By Mira Holt &amp; staff, March 4, 2021</p>{body}</article>
<footer>Westmere Tidings &copy; 2021</footer><script>var pageType = "article";</script></body></html>""".encode()


def extracted(body: bytes, copy: int) -> Article:
    url = f"http://127.0.0.1/c{copy}/page.html"
    got = extract_page(RawPage(1, "h", url, url, 1, body, "text/html", {}), load_settings(environ={}))
    assert isinstance(got, Article), got
    return got


def test_copy_zero_is_the_page_and_copies_are_deterministic() -> None:
    page = page_html()
    assert vary_page("p1", page, 0) == page
    assert vary_page("p1", page, 3) == vary_page("p1", page, 3)
    assert len({vary_page("p1", page, k) for k in (1, 2, 3)} | {vary_page("p2", page, 1)}) == 4


def test_copies_keep_the_markup_and_change_the_words() -> None:
    page = page_html().decode()
    copy = vary_page("p1", page.encode(), 1).decode()
    scripts_and_metas = ("<script", "<meta")
    tags = [t for t in MARKUP.findall(page) if not t.lower().startswith(scripts_and_metas)]
    assert [t for t in MARKUP.findall(copy) if not t.lower().startswith(scripts_and_metas)] == tags
    assert "&amp;" in copy and "&copy;" in copy and 'var pageType = "article";' in copy
    ld = json.loads(copy.split('application/ld+json">')[1].split("</script>")[0])
    assert ld["author"]["name"] == "Mira Holt" and ld["headline"] != "Westmere closes its old ferry pier for repairs"


def test_copies_are_extractable_other_stories_not_near_duplicates() -> None:
    page = page_html()
    original = extracted(page, 0)
    copies = [extracted(vary_page("p1", page, k), k) for k in (1, 2)]
    prints = [fingerprint(a.text) for a in (original, *copies)]
    for a in copies:
        assert a.title != original.title
        assert 0.7 * len(original.text) < len(a.text) < 1.3 * len(original.text)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert prints[i].content_hash != prints[j].content_hash
        assert prints[i].jaccard(prints[j]) < DUPLICATE_JACCARD


def test_bytes_that_are_not_utf8_are_carried_through() -> None:
    page = page_html().replace(b"Westmere Tidings &copy;", b"Westmere Tidings \xa9 caf\xe9")
    copy = vary_page("p1", page, 1)
    assert b"\xa9 caf\xe9" in copy and copy != page
