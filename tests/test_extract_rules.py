"""Issue 11 rules, one small hand-written page or string each (no benchmark page is copied here)."""

from __future__ import annotations

import json

from lxml import html as lxml_html

from etl.extract import authors, metadata
from etl.extract.page import extract_html_found
from etl.records import Reject
from etl.settings import Settings
from tools.manifests import article_json


def tree_of(head: str = "", body: str = "<p>text</p>") -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def ld(obj: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj, ensure_ascii=False)}</script>'


# --- authors: every script, organisations credited, agencies apart -------------------------------


def test_non_latin_names_survive_a_site_name_in_another_script() -> None:
    # a Cyrillic name used to fold to "" and equal a site name that also folded to ""
    assert authors.clean_authors(["Ирина Петрова"], "Вечерний Город", "vechgorod.example") == (["Ирина Петрова"], None)
    # two-character CJK names are names
    assert authors.clean_authors(["佐藤"], None, "news.example.jp") == (["佐藤"], None)
    # two names in one script do not collapse into one
    assert authors.clean_authors(["Ирина Петрова", "Олег Смирнов"])[0] == ["Ирина Петрова", "Олег Смирнов"]


def test_a_declared_organisation_is_kept_as_credited() -> None:
    site, host = "Morgenblatt", "www.morgenblatt.example"
    for credit in ("MORGENBLATT", "morgenblatt.example", "Redaktion morgenblatt.example", "Nachrichten Staff"):
        people, agency = authors.clean_authors([credit], site, host, structured=True)
        assert ([p.casefold() for p in people], agency) == ([credit.casefold()], None), credit
    # people and a team credited side by side both stay
    both = authors.clean_authors(["Ana Ruiz", "Travel Desk"], site, host, structured=True)
    assert both == (["Ana Ruiz", "Travel Desk"], None)
    # placeholders are still no one, and agencies still go to the agency field
    assert authors.clean_authors(["admin", "null"], site, host, structured=True) == ([], None)
    assert authors.clean_authors(["Associated Press"], site, host, structured=True) == ([], "AP")
    # a byline read off the page does not credit the site
    assert authors.clean_authors(["morgenblatt.example"], site, host) == ([], None)


def test_json_ld_crediting_only_the_site_gives_way_to_a_printed_byline() -> None:
    org = ld({"@type": "NewsArticle", "headline": "H", "author": {"@type": "Organization", "name": "Morgenblatt"}})
    head = f'<meta property="og:site_name" content="Morgenblatt">{org}'
    printed = tree_of(head, '<p class="byline">Von Karla Weiss</p><p>text</p>')
    assert metadata.page_metadata(printed, "https://www.morgenblatt.example/a").authors == ["Karla Weiss"]
    unprinted = tree_of(head)
    assert metadata.page_metadata(unprinted, "https://www.morgenblatt.example/a").authors == ["Morgenblatt"]


def test_a_wire_site_naming_its_reporters_is_not_its_own_agency() -> None:
    body = "<article>" + "<p>NAIROBI (Reuters) - " + "The council voted on the budget today. " * 12 + "</p></article>"
    person = ld({"@type": "NewsArticle", "headline": "Council votes", "author": {"@type": "Person", "name": "Jo Kim"}})
    own = extract_html_found(f"<html><head>{person}</head><body>{body}</body></html>",
                             "https://www.reuters.example/world/council", Settings()).outcome
    assert not isinstance(own, Reject) and (own.authors, own.agency) == (["Jo Kim"], None)
    other = extract_html_found(f"<html><head>{person}</head><body>{body}</body></html>",
                               "https://www.dailypaper.example/world/council", Settings()).outcome
    assert not isinstance(other, Reject) and other.agency == "Reuters"


# --- a reject carries what it found ---------------------------------------------------------------


def test_a_reject_for_short_text_still_carries_its_date_title_and_byline() -> None:
    head = ld({"@type": "NewsArticle", "headline": "Short notice", "datePublished": "2024-03-05T10:00:00+01:00",
               "author": {"@type": "Person", "name": "Jo Kim"}})
    found = extract_html_found(f"<html><head>{head}</head><body><p>Too short.</p></body></html>",
                               "https://news.example/n", Settings())
    assert isinstance(found.outcome, Reject) and found.outcome.reason == "no_article_text"
    row = article_json("p1", found.outcome, found.metadata)
    assert (row["text"], row["title"], row["published_at"], row["authors"]) == (
        "", "Short notice", "2024-03-05T10:00:00+01:00", ["Jo Kim"])
    assert row["reject"]["reason"] == "no_article_text"
