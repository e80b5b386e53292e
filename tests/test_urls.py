"""URL canonicalization: variants of one page get one canonical form and one url_hash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.urls import canonicalize_url, same_site, url_hash


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTP://Example.COM/a", "http://example.com/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com/a#section-2", "http://example.com/a"),
        ("http://example.com/a?utm_source=rss&utm_medium=feed", "http://example.com/a"),
        ("http://example.com/a?b=2&a=1&fbclid=x&gclid=y", "http://example.com/a?a=1&b=2"),
        ("http://example.com/a?xtor=RSS-1&at_medium=x&id=7", "http://example.com/a?id=7"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/../../a", "http://example.com/a"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/%7euser/%2f", "http://example.com/~user/%2F"),
        ("http://example.com/a?q=%2a", "http://example.com/a?q=%2A"),
        ("http://example.com/story;jsessionid=ABC123?x=1", "http://example.com/story?x=1"),
        ("http://user:secret@example.com/a", "http://example.com/a"),
        ("http://Example.com./a", "http://example.com/a"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("https://example.com/stra%c3%9fe?q=caf\u00e9", "https://example.com/stra%C3%9Fe?q=caf%C3%A9"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/a//b/", "http://example.com/a//b/"),
        ("http://example.com/Path/Case", "http://example.com/Path/Case"),
        ("http://example.com/a?x=1&x=0", "http://example.com/a?x=0&x=1"),
        ("http://example.com/a?q=a+b&r=a%20b", "http://example.com/a?q=a+b&r=a%20b"),
        ("file:///tmp/page.html#top", "file:///tmp/page.html"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_canonical_forms(raw: str, canonical: str) -> None:
    assert canonicalize_url(raw) == canonical


def test_relative_urls_resolve_against_the_base() -> None:
    base = "https://news.example.com/world/europe/index.html"
    assert canonicalize_url("story.html", base) == "https://news.example.com/world/europe/story.html"
    assert canonicalize_url("../asia/x.html", base) == "https://news.example.com/world/asia/x.html"
    assert canonicalize_url("/top", base) == "https://news.example.com/top"
    assert canonicalize_url("//cdn.example.com/a", base) == "https://cdn.example.com/a"


def test_tracking_duplicates_share_one_hash() -> None:
    variants = [
        "https://news.example.com/2024/03/budget.html",
        "https://NEWS.example.com/2024/03/budget.html?utm_source=rss&utm_campaign=x",
        "https://news.example.com:443/2024/03/budget.html?fbclid=IwAR0#comments",
        "https://news.example.com/2024/03/./budget.html?mc_cid=1&mc_eid=2",
    ]
    assert len({url_hash(v) for v in variants}) == 1
    assert url_hash(variants[0]) != url_hash("https://news.example.com/2024/03/budget.html?page=2")


def test_same_site() -> None:
    assert same_site("https://www.example.com/a", "https://example.com/b")
    assert same_site("https://news.example.com/a", "https://example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert same_site("file:///a", "file:///b")


URLS = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}\.(com|org|de)", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(st.sampled_from(["a", "B", ".", "..", "%7e", "x%2Fy", "", "ü"]), max_size=5).map(
        lambda parts: "/" + "/".join(parts)),
    st.lists(st.sampled_from(["a=1", "b=2", "utm_source=x", "fbclid=y", "q=a+b", "z=%2a", "k"]), max_size=4).map(
        lambda pairs: ("?" + "&".join(pairs)) if pairs else ""),
    st.sampled_from(["", "#frag", "#"]),
)


@settings(max_examples=300, deadline=None)
@given(URLS)
def test_canonicalization_is_idempotent(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert "utm_source" not in once and "fbclid" not in once
