"""Metadata rules on small pages: titles, authors and agencies, dates with precision, language, the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import html as lxml_html

from etl.extract import authors, dates, metadata

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def tree_of(markup: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(markup)


def page(head: str = "", body: str = "<p>text</p>", lang: str = "en") -> lxml_html.HtmlElement:
    return tree_of(f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>')


def published(
    head: str = "", body: str = "", url: str = "https://news.example/story", **kw: object
) -> dates.Stamp | None:
    tree = page(head, body or "<p>text</p>")
    meta = metadata.meta_tags(tree)
    articles = metadata.json_ld_articles(metadata.json_ld_objects(tree))
    return dates.find_published(tree, url, meta, articles, now=NOW, **kw).published  # type: ignore[arg-type]


# --- titles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "site", "url", "want"),
    [
        ("Bike lanes approved | The Riverside Ledger", "The Riverside Ledger", "https://a.example/x",
         "Bike lanes approved"),
        ("Bike lanes approved - Riverside Ledger", None, "https://www.riversideledger.com/x", "Bike lanes approved"),
        ("Riverside Ledger: Bike lanes approved", None, "https://riversideledger.com/x",
         "Riverside Ledger: Bike lanes approved"),
        ("Riverside Ledger | Bike lanes approved", None, "https://riversideledger.com/x", "Bike lanes approved"),
        ("Tres muertos en un choque | Junín 24 - Noticias de Junín", None, "https://junin24.com/1",
         "Tres muertos en un choque"),
        ("Stocks fall - analysts blame rates", None, "https://markets.example/x", "Stocks fall - analysts blame rates"),
        ("Just a headline", "Site", "https://site.example/x", "Just a headline"),
    ],
)
def test_title_loses_the_site_name_only(title: str, site: str | None, url: str, want: str) -> None:
    assert metadata.clean_title(title, site, url) == want


def test_title_prefers_json_ld_headline_and_site_name_comes_from_og() -> None:
    tree = page('<title>Long headline here | Daily Planet</title>'
                '<meta property="og:site_name" content="Daily Planet">'
                '<script type="application/ld+json">'
                '{"@type": "NewsArticle", "headline": "Long headline here"}</script>')
    meta = metadata.page_metadata(tree, "https://dailyplanet.example/a")
    assert (meta.title, meta.site_name) == ("Long headline here", "Daily Planet")


def test_title_drops_invisible_characters_but_keeps_joiners() -> None:
    url = "https://paper.example/a"
    assert metadata.clean_title("Neuer Helikopter\u00adlandeplatz geplant\u200b", None, url) == (
        "Neuer Helikopterlandeplatz geplant")
    assert metadata.clean_title("\ufeffZwei\u2060Wege", None, url) == "ZweiWege"
    # ZWNJ shapes Persian (and ZWJ Indic scripts and emoji): it stays
    assert metadata.clean_title("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", None, url) == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")


def ld_page(headline: str, og: str, h1: str, title: str = "") -> lxml_html.HtmlElement:
    return page(f'<title>{title or headline}</title><meta property="og:title" content="{og}">'
                '<script type="application/ld+json">'
                f'{{"@type": "NewsArticle", "headline": "{headline}"}}</script>',
                f"<article><h1>{h1}</h1><p>text</p></article>")


def test_title_drops_a_json_ld_kicker_the_h1_does_not_show() -> None:
    tree = ld_page("Harbour trial: Ferry captain found guilty", "Ferry captain found guilty",
                   "Ferry captain <span>found guilty</span>")
    assert metadata.page_metadata(tree, "https://port.example/news/1").title == "Ferry captain found guilty"


def test_title_keeps_a_kicker_the_h1_shows() -> None:
    tree = ld_page("Harbour trial: Ferry captain found guilty", "Ferry captain found guilty",
                   "<span class=kicker>Harbour trial:</span> Ferry captain found guilty")
    assert metadata.page_metadata(tree, "https://port.example/news/1").title == (
        "Harbour trial: Ferry captain found guilty")


def test_title_keeps_json_ld_headline_when_og_title_is_another_wording() -> None:
    # measured on fundus: when JSON-LD headline and og:title are different wordings, neither the
    # <h1> nor the <title> tells which one the site's own parser keeps; the order stays as it was
    tree = ld_page("Council backs the new tram line", "Tram line wins council vote", "Tram line wins council vote")
    assert metadata.page_metadata(tree, "https://city.example/tram").title == "Council backs the new tram line"


@pytest.mark.parametrize(
    ("title", "h1", "want"),
    [
        ("Der Lange und die alte Dame | Vereinsblog am Sonntag", "Der Lange und die alte Dame",
         "Der Lange und die alte Dame"),
        ("Boat fair cancelled - Diving News Weekly", "Boat fair <em>cancelled</em>", "Boat fair cancelled"),
        # the <h1> names the part kept; a title it does not end stays whole
        ("Stocks fall - analysts blame rates", "Stocks fall - analysts blame rates",
         "Stocks fall - analysts blame rates"),
        ("Stocks fall - analysts blame rates", "Markets today", "Stocks fall - analysts blame rates"),
        # an <h1> naming the last part is the site's logo, not the headline
        ("Why we moved | Harbour Notes", "Harbour Notes", "Why we moved | Harbour Notes"),
    ],
)
def test_title_ends_where_the_h1_ends(title: str, h1: str, want: str) -> None:
    tree = page(f"<title>{title}</title>", f"<h1>{h1}</h1><p>text</p>")
    assert metadata.page_metadata(tree, "https://quay.example/2020/why-we-moved").title == want


def test_title_ignores_an_h1_that_links_home() -> None:
    tree = page("<title>Harbour Notes » Archive » Why we moved</title>",
                '<h1><a href="https://quay.example/">Harbour Notes</a></h1><p>text</p>')
    assert metadata.page_metadata(tree, "https://quay.example/2020/why-we-moved").title == (
        "Harbour Notes » Archive » Why we moved")


# --- authors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "people", "agency"),
    [
        (["By Jane Doe and John Smith"], ["Jane Doe", "John Smith"], None),
        (["Alice Brown, Bob White and Carol Green"], ["Alice Brown", "Bob White", "Carol Green"], None),
        (["By Mary Jones, Staff Writer"], ["Mary Jones"], None),
        (["Sarah Smith | Reuters"], ["Sarah Smith"], "Reuters"),
        (["john doe (john@example.com)", "@handle", "https://twitter.com/x"], ["John Doe"], None),
        (["By MARIA GARCIA and DEREK HOLLAND Associated Press"], ["Maria Garcia", "Derek Holland"], "AP"),
        (["Tom Krisher, AP Auto Writer"], ["Tom Krisher"], "AP"),
        (["The Associated Press"], [], "AP"),
        (["Agencia EFE"], [], "EFE"),
        (["Jane Doe", "JANE DOE", "jane doe"], ["Jane Doe"], None),
        (["Emily DeShawn McKay"], ["Emily DeShawn McKay"], None),
        (["ROBERT O'NEILL"], ["Robert O'Neill"], None),
        (["Von Hans Müller und Anna Schmidt"], ["Hans Müller", "Anna Schmidt"], None),
        (["José Volta e Pinto"], ["José Volta e Pinto"], None),
        (["Reporter Park Ji-won"], ["Park Ji-won"], None),
        (["박지원 기자"], ["박지원"], None),
        (["Jill Disis, CNN Business", "CNN"], ["Jill Disis"], None),
        (["Photo: Alex Stone", "Kim Lee"], ["Kim Lee"], None),
        (["By Sarah Smith For The Guardian"], ["Sarah Smith"], None),
        (["Tokpanan Doré, Correspondant à Conakry"], ["Tokpanan Doré"], None),
        (["admin", "Please enter your name here", "Staff"], [], None),
    ],
)
def test_bylines_become_people_and_agencies(raw: list[str], people: list[str], agency: str | None) -> None:
    assert authors.clean_authors(raw) == (people, agency)


def test_the_site_itself_is_no_author() -> None:
    assert authors.clean_authors(["Daily Planet", "Lois Lane"], "Daily Planet") == (["Lois Lane"], None)
    assert authors.clean_authors(["LinkNaija"], None, "www.linknaija.com") == ([], None)


def test_agency_comes_from_a_wire_dateline() -> None:
    assert authors.agency_from_dateline("WASHINGTON (AP) — The Senate voted ...") == "AP"
    assert authors.agency_from_dateline("LONDON, April 18 (Reuters) - Copper rose ...") == "Reuters"
    assert authors.agency_from_dateline("The mayor (who spoke to AP) said ...") is None


def test_authors_sources_in_order_json_ld_meta_dublin_core_byline() -> None:
    url = "https://x.example/a"
    ld = ('<script type="application/ld+json">'
          '{"@type": "NewsArticle", "author": [{"name": "A One"}, {"name": "B Two"}]}</script>')
    meta_author = '<meta name="author" content="C Three">'
    assert metadata.page_metadata(page(ld + meta_author), url).authors == ["A One", "B Two"]
    dublin_core = '<meta name="DC.creator" content="Okonkwo, Chidi">'
    assert metadata.page_metadata(page(dublin_core), url).authors == ["Chidi Okonkwo"]
    byline = '<div class="kl-byline">By <a href="/s/a">Ana Ruiz</a> and <a href="/s/t">Tom Becker</a></div>'
    form = '<form><label class="comment-author">Name</label></form>'
    assert metadata.page_metadata(page(body=byline + form), url).authors == ["Ana Ruiz", "Tom Becker"]


def test_json_ld_with_trailing_commas_is_still_read() -> None:
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Park Ji-won",},}</script>'
    assert metadata.page_metadata(page(ld), "https://x.example/a").authors == ["Park Ji-won"]


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "day", "offset_hours"),
    [
        ("2024-05-14T09:05:00-04:00", date(2024, 5, 14), -4),
        ("2024-05-14T13:05:00Z", date(2024, 5, 14), 0),
        ("2020-12-05T23:15:0Z", date(2020, 12, 5), 0),
        ("2020-08-25|00h23", date(2020, 8, 25), None),
        ("20240118", date(2024, 1, 18), None),
        ("2024-01-18", date(2024, 1, 18), None),
        ("2024-02-10T08:00:00", date(2024, 2, 10), None),
        ("Tue, 25 Aug 2020 00:23:33 +0200", date(2020, 8, 25), 2),
        ("Tue Aug 25 2020 00:23:33 GMT+0000 (Coordinated Universal Time)", date(2020, 8, 25), 0),
        ("March 3, 2024", date(2024, 3, 3), None),
    ],
)
def test_parse_date_keeps_day_and_own_offset(value: str, day: date, offset_hours: int | None) -> None:
    stamp = dates.parse_date(value)
    assert stamp is not None and stamp.day == day
    if offset_hours is None:
        assert stamp.instant is None and stamp.precision == "day"
    else:
        assert stamp.instant is not None and stamp.instant.utcoffset() == timedelta(hours=offset_hours)


@pytest.mark.parametrize("value", ["", "yesterday", "not a date", "12345", "©2019"])
def test_parse_date_refuses_non_dates(value: str) -> None:
    assert dates.parse_date(value) is None


def test_json_ld_wins_over_meta_and_keeps_the_publishers_offset() -> None:
    head = ('<meta property="article:published_time" content="2020-12-24T23:59:50+00:00">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2020-12-25T01:59:50+02:00",'
            ' "dateModified": "2020-12-26T10:00:00+02:00"}</script>')
    stamp = published(head)
    assert stamp is not None and stamp.instant == datetime(2020, 12, 25, 1, 59, 50, tzinfo=timezone(timedelta(hours=2)))
    assert stamp.day == date(2020, 12, 25)


def test_same_instant_in_utc_takes_the_offset_stated_elsewhere() -> None:
    head = ('<meta property="article:published_time" content="2024-04-18T07:05:00+08:00">'
            '<script type="application/ld+json">'
            '{"@type": "NewsArticle", "datePublished": "2024-04-17T23:05:00Z"}</script>')
    stamp = published(head)
    assert stamp is not None and stamp.day == date(2024, 4, 18)
    assert stamp.instant is not None and stamp.instant.utcoffset() == timedelta(hours=8)


def test_published_date_precedes_modified_and_created() -> None:
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "dateCreated": "2020-12-22T01:06:41Z",'
          ' "datePublished": "2020-12-23T15:42:33Z", "dateModified": "2020-12-24T10:00:00Z"}</script>')
    stamp = published(ld)
    assert stamp is not None and stamp.day == date(2020, 12, 23)


def test_day_only_sources_give_day_precision() -> None:
    stamp = published('<meta name="pubdate" content="20240118">')
    assert stamp is not None and (stamp.day, stamp.instant, stamp.precision) == (date(2024, 1, 18), None, "day")
    naive = published('<meta name="sailthru.date" content="2024-05-21 08:15:00">')
    assert naive is not None and (naive.day, naive.instant) == (date(2024, 5, 21), None)


def test_time_element_then_url_then_canonical_url() -> None:
    body = '<article><time class="entry-date published" datetime="2024-03-05T21:15:00-05:00">March 5</time></article>'
    stamp = published(body=body)
    assert stamp is not None and stamp.day == date(2024, 3, 5) and stamp.precision == "time"
    assert published(url="https://news.example/2020/06/07/story/").day == date(2020, 6, 7)  # type: ignore[union-attr]
    assert published(url="https://news.example/story-20201223-abc.html").day == date(2020, 12, 23)  # type: ignore[union-attr]
    canonical = published(url="file:///tmp/page.html", other_urls=["https://blog.example/2024/03/05/voltaic/"])
    assert canonical is not None and canonical.day == date(2024, 3, 5)


def test_a_structured_date_far_from_the_url_date_loses_to_it() -> None:
    head = '<meta property="article:published_time" content="2021-02-01T10:00:00+00:00">'
    stamp = published(head, url="https://news.example/2020/06/07/story/")
    assert stamp is not None and stamp.day == date(2020, 6, 7)


def test_future_and_pre_1990_dates_are_errors() -> None:
    future = published('<meta property="article:published_time" content="2031-01-01T10:00:00Z">')
    assert future is None or future.day != date(2031, 1, 1)
    old = published('<meta name="date" content="1985-05-05"><meta name="pubdate" content="2019-05-05">')
    assert old is not None and old.day == date(2019, 5, 5)


def test_the_date_printed_under_the_headline_beats_page_furniture() -> None:
    body = ('<div class="top"><span class="date">Tue, 14 Jan 2020</span></div>'
            '<h2>Megablaze brought under control</h2><p>News24<br>13 Jan 2020, 22:11 GMT+10</p>'
            '<p>Exhausted firefighters said on Monday ...</p>')
    title = "Megablaze brought under control"
    stamp = published(f"<title>{title}</title>", body, headlines=[title])
    assert stamp is not None and stamp.day == date(2020, 1, 13)
    assert stamp.instant == datetime(2020, 1, 13, 22, 11, tzinfo=timezone(timedelta(hours=10)))


def test_a_utc_stamp_on_a_country_domain_is_shown_in_its_zone() -> None:
    head = '<meta name="datePublished" content="2020-12-05T23:15:00Z">'
    stamp = published(head, url="https://www.giornale.example.it/news/1265473/biden")
    assert stamp is not None and stamp.day == date(2020, 12, 6)
    assert stamp.instant is not None and stamp.instant.utcoffset() == timedelta(hours=1)


def test_modified_date_is_kept_apart() -> None:
    tree = page('<meta property="article:published_time" content="2024-05-14T09:05:00-04:00">'
                '<meta property="article:modified_time" content="2024-05-15T08:00:00-04:00">')
    meta = metadata.page_metadata(tree, "https://x.example/a")
    assert meta.published_date == date(2024, 5, 14)
    assert meta.modified_at == datetime(2024, 5, 15, 8, tzinfo=timezone(timedelta(hours=-4)))


# --- language, keywords and the rest ---------------------------------------------------------

GERMAN = ("Die Stadtverordneten haben am Donnerstag den Bau einer neuen Straßenbahnlinie beschlossen. "
          "Die Strecke soll den Hauptbahnhof mit dem Osten der Stadt verbinden und im Jahr 2029 fertig sein. ") * 3


def test_language_from_text_checked_against_declared() -> None:
    assert metadata.detect_language(GERMAN, "de-DE") == "de"
    assert metadata.detect_language(GERMAN, "en") == "de"  # a template's default lang loses to clear text
    assert metadata.detect_language("Kurzer Text.", "de") == "de"  # too short to overrule the page
    assert metadata.detect_language("", None) is None


def test_keywords_section_description_image_canonical() -> None:
    head = ('<meta name="keywords" content="Bike Lanes, Main Street">'
            '<meta property="article:tag" content="Transportation"><meta property="article:tag" content="bike lanes">'
            '<meta property="article:section" content="Local News">'
            '<meta property="og:description" content="Protected lanes by next summer.">'
            '<meta property="og:image" content="/img/a.jpg">'
            '<link rel="canonical" href="https://www.site.example/a/?utm_source=x#top">')
    meta = metadata.page_metadata(page(head), "https://www.site.example/a/?ref=home")
    assert meta.keywords == ["bike lanes", "main street", "transportation"]
    assert meta.section == "Local News"
    assert meta.description == "Protected lanes by next summer."
    assert meta.top_image == "https://www.site.example/img/a.jpg"
    assert meta.canonical_url == "https://www.site.example/a/"


def test_fixture_page_metadata() -> None:
    tree = lxml_html.document_fromstring((FIXTURES / "news_article.html").read_text(encoding="utf-8"))
    meta = metadata.page_metadata(tree, "https://www.riversideledger.example/news/2024/05/14/bike-lanes-approved/")
    assert meta.title == "City council approves new bike lanes downtown"
    assert meta.site_name == "The Riverside Ledger"
    assert meta.authors == ["Jane Doe", "Tom O'Reilly"]
    assert meta.published_at == datetime(2024, 5, 14, 9, 5, tzinfo=timezone(timedelta(hours=-4)))
    assert meta.published_precision == "time"
    assert meta.keywords == ["bike lanes", "main street", "transportation", "city council"]


def test_json_ld_author_given_by_reference_is_resolved() -> None:
    ld = ('<script type="application/ld+json">{"@graph": ['
          '{"@type": "NewsArticle", "author": {"@id": "https://x.example/#/schema/person/1"}},'
          '{"@type": "Person", "@id": "https://x.example/#/schema/person/1", "name": "Dana Whitfield"}]}</script>')
    assert metadata.page_metadata(page(ld), "https://x.example/a").authors == ["Dana Whitfield"]


def test_the_pages_own_json_ld_article_outranks_related_ones() -> None:
    ld = ('<script type="application/ld+json">[{"@type": "ItemList", "itemListElement": ['
          '{"@type": "NewsArticle", "headline": "Older story", "url": "https://x.example/old",'
          ' "datePublished": "2019-01-02T10:00:00Z", "author": {"name": "Old Author"}}]},'
          '{"@type": "NewsArticle", "headline": "This story", "url": "https://x.example/this/",'
          ' "datePublished": "2020-03-04T10:00:00Z", "author": {"name": "Right Author"}}]</script>')
    meta = metadata.page_metadata(page(ld), "https://www.x.example/this")
    assert (meta.title, meta.published_date, meta.authors) == ("This story", date(2020, 3, 4), ["Right Author"])
