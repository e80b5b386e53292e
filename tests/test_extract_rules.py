"""Issue 11 rules, one small hand-written page or string each (no benchmark page is copied here)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from lxml import html as lxml_html

from etl.extract import authors, dates, metadata
from etl.extract.page import extract_html_found
from etl.extract.textclean import PageHints, clean_body, is_boilerplate
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


def test_json_ld_crediting_only_the_site_keeps_the_site() -> None:
    org = ld({"@type": "NewsArticle", "headline": "H", "author": {"@type": "Organization", "name": "Morgenblatt"}})
    page = tree_of(f'<meta property="og:site_name" content="Morgenblatt">{org}', "<p>text</p>")
    assert metadata.page_metadata(page, "https://www.morgenblatt.example/a").authors == ["Morgenblatt"]


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


# --- tolerant JSON-LD -------------------------------------------------------------------------------


def test_almost_json_is_repaired() -> None:
    from etl.extract import tolerant_json

    cases = {
        "cdata": '//<![CDATA[\n{"@type": "NewsArticle", "headline": "A"}\n//]]>',
        "extra brace": '{"@type": "NewsArticle", "headline": "A"}}',
        "trailing semicolon": '[{"@type": "NewsArticle", "headline": "A"}];',
        "comment": '{"@type": "NewsArticle", // the type\n "headline": "A"}',
        "trailing comma": '{"@type": "NewsArticle", "headline": "A", "keywords": ["x", ],}',
        "raw newline": '{"@type": "NewsArticle", "headline": "A\nB"}',
        "stray quotes": '{"@type": "NewsArticle", "headline": "Mayor calls plan "reckless"", "x": 1}',
        "quote, comma, text": '{"@type": "NewsArticle", "description": ""Not now", said the mayor", "headline": "A"}',
        "single quotes": "{'@type': 'NewsArticle', 'headline': 'A'}",
        "cut short": '{"@type": "NewsArticle", "headline": "A", "author": {"name": "Jo Kim"',
    }
    for name, text in cases.items():
        value = tolerant_json.loads(text)
        obj = value[0] if isinstance(value, list) else value
        assert isinstance(obj, dict) and obj.get("@type") == "NewsArticle", name
    assert tolerant_json.loads('{"headline": "Mayor calls plan "reckless"", "x": 1}')["headline"] == (
        'Mayor calls plan "reckless"')
    # objects one after another without an array
    assert len(tolerant_json.loads('{"a": 1},\n{"b": 2}')) == 2
    assert tolerant_json.loads("not json at all") is None


def test_a_repaired_json_ld_date_beats_a_related_storys_date() -> None:
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", ' \
             '"datePublished": "2024-03-05T10:00:00+01:00"}}</script>'
    related = ld({"@type": "NewsArticle", "headline": "Other", "datePublished": "2024-01-02T10:00:00+01:00"})
    meta = metadata.page_metadata(tree_of(broken + related), "https://news.example/h")
    assert meta.published_date is not None and meta.published_date.isoformat() == "2024-03-05"


def test_an_article_nested_in_a_web_page_entity_is_found() -> None:
    head = ld({"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "Nested",
                                                  "datePublished": "2024-03-05T10:00:00+01:00"}})
    meta = metadata.page_metadata(tree_of(head), "https://news.example/n")
    assert meta.title == "Nested" and meta.published_at is not None and meta.published_at.hour == 10


# --- dates --------------------------------------------------------------------------------------------

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def found_date(head: str, body: str = "<p>text</p>", url: str = "https://news.example/story") -> dates.DateFinding:
    tree = tree_of(head, body)
    meta_tags = metadata.meta_tags(tree)
    objects = metadata.json_ld_objects(tree)
    articles = metadata.json_ld_articles(objects)
    article = metadata.main_article(articles, url)
    heads = metadata.headlines(tree, meta_tags, article, with_h1=False)
    return dates.find_published(tree, url, meta_tags, articles, now=NOW, headlines=heads)


def test_a_printed_time_element_outranks_a_generic_date_meta() -> None:
    head = '<meta name="dcterms.date" content="2024-01-21T09:00:00+01:00">'
    body = '<p class="meta"><time datetime="2024-01-25">25.01.2024</time></p><p>text</p>'  # no headline
    got = found_date(head, body).published
    assert got is not None and got.day == date(2024, 1, 25)
    # a meta that says "published" still wins over the printed time
    strong = '<meta property="article:published_time" content="2024-01-21T09:00:00+01:00">'
    got = found_date(strong, body).published
    assert got is not None and got.day == date(2024, 1, 21)


def test_the_update_printed_under_the_headline_is_the_readers_date() -> None:
    article = {"@type": "NewsArticle", "headline": "Care guide for hydrangeas",
               "datePublished": "2019-10-15T16:59:59Z", "dateModified": "2020-03-12T14:42:17Z"}
    body = "<h1>Care guide for hydrangeas</h1><p>Updated Mar 12, 2020</p><p>text</p>"
    finding = found_date(ld(article), body)
    assert finding.published is not None and finding.published.day == date(2020, 3, 12)
    # not for a live blog, whose shown date is its latest entry
    live = found_date(ld({**article, "@type": "LiveBlogPosting"}), body)
    assert live.published is not None and live.published.day == date(2019, 10, 15)
    # nor for a live page that says so only in its keywords
    for keywords in ("Garden, Live, News", "Saúde, Liveblog", "Live-Ticker"):
        declared = found_date(f'<meta name="news_keywords" content="{keywords}">' + ld(article), body)
        assert declared.published is not None and declared.published.day == date(2019, 10, 15), keywords
    # a keyword that merely holds the word is no such declaration
    lively = found_date('<meta name="keywords" content="Live music, Garden">' + ld(article), body)
    assert lively.published is not None and lively.published.day == date(2020, 3, 12)
    # nothing printed under the headline: the declared publication stays
    plain = found_date(ld(article), "<h1>Care guide for hydrangeas</h1><p>text</p>")
    assert plain.published is not None and plain.published.day == date(2019, 10, 15)


def test_a_same_evening_correction_is_no_update() -> None:
    article = {"@type": "NewsArticle", "headline": "Late vote", "datePublished": "2024-12-03T23:17:00+09:00",
               "dateModified": "2024-12-04T00:06:00+09:00"}
    body = "<h1>Late vote</h1><p>2024年12月4日 00:06</p><p>text</p>"
    got = found_date(ld(article), body).published
    assert got is not None and got.instant is not None and got.instant.hour == 23


def test_a_local_clock_mislabelled_z_takes_the_offset_meta_states() -> None:
    head = (ld({"@type": "NewsArticle", "headline": "H", "datePublished": "2024-04-18T07:05:00Z"})
            + '<meta property="article:published_time" content="2024-04-18T07:05:00+09:00">')
    got = found_date(head).published
    assert got is not None and got.instant is not None and got.instant.utcoffset() == timedelta(hours=9)


def test_a_utc_stamp_lands_on_the_day_the_url_names() -> None:
    head = '<meta property="article:published_time" content="2023-11-09T05:30:59+00:00">'
    got = found_date(head, url="https://www.citypaper.example/2023/11/08/council-elects-mayor/").published
    assert got is not None and got.day == date(2023, 11, 8)
    assert got.instant is not None and got.instant.astimezone(UTC).hour == 5  # the same instant


def test_a_later_date_printed_under_the_headline_beats_a_cms_creation_date() -> None:
    head = '<meta property="og:title" content="Winter sports and wildlife">' \
           '<meta property="article:published_time" content="2024-01-15">'
    later = "<h1>Winter sports and wildlife</h1><p><time datetime=\"2024-01-25\">25.01.2024</time></p><p>text</p>"
    got = found_date(head, later).published
    assert got is not None and got.day == date(2024, 1, 25)
    earlier = "<h1>Winter sports and wildlife</h1><p><time datetime=\"2024-01-05\">05.01.2024</time></p><p>text</p>"
    got = found_date(head, earlier).published
    assert got is not None and got.day == date(2024, 1, 15)


# --- body text ---------------------------------------------------------------------------------------


def test_cjk_sentences_end_with_full_width_stops() -> None:
    from etl.extract.selector import _reads_like_prose
    from etl.extract.textclean import TERMINAL_PUNCT, word_count

    line = "市議会は来年度の予算案を賛成多数で可決し、新しい図書館の建設が決まった。"
    assert TERMINAL_PUNCT.search(line) and word_count(line) >= 15
    assert _reads_like_prose(line)
    assert not _reads_like_prose("市議会")
    # a first paragraph ending in 。 under the headline is text, not a dek
    hints = PageHints.build(titles=["予算案を可決"], description=line)
    assert clean_body(f"予算案を可決\n{line}\n次の段落も本文である。", hints).startswith(line)


def test_a_layout_table_row_becomes_its_prose_cells() -> None:
    prose = ("The club was founded in 1990 by a handful of dog owners who met every Sunday on the fields "
             "behind the school.")
    row = f"|  | Home \\| Contact | {prose} | Login |"
    assert clean_body(row) == prose
    data = "| Ticker | Security | Last | Change |"
    assert clean_body(data) == data


def test_teaser_cards_linking_elsewhere_are_not_body() -> None:
    paragraph = "<p>" + "The council approved the new budget after a long debate on Tuesday evening. " * 6 + "</p>"
    card = ('<a href="/other-story"><h3>Another story</h3><p>A teaser for another story that is not this one '
            'and should not be read as part of it at all.</p></a>')
    body = f"<article><h1>Budget passes</h1>{paragraph}{paragraph}<div>{card}{card}</div></article>"
    html = f"<html><body>{body}</body></html>"
    outcome = extract_html_found(html, "https://news.example/budget", Settings()).outcome
    assert not isinstance(outcome, Reject)
    assert "council approved" in outcome.text and "teaser for another story" not in outcome.text


def test_promotion_copyright_and_source_lines_are_boilerplate() -> None:
    for line in ("Sign up for breaking news, reviews, opinion, top tech deals, and more.",
                 "Follow The Daily Planet on Google News to get our news in your feeds.",
                 "© The Daily Planet Ltd. 2024", "Copyright © 2023 The Daily Planet, LLC.", "Quelle: AFP"):
        assert is_boilerplate(line), line
    # an agency's rights notice and a sentence about copyright stay
    assert not is_boilerplate("Copyright lawyers say the ruling will change how archives license old photos to "
                              "newspapers and broadcasters across Europe for years.")


def test_an_article_split_into_same_class_blocks_is_kept_whole() -> None:
    from etl.extract import extractors

    def para(n: int) -> str:
        return f"<p>Paragraph {n} of the story tells what the council decided about the new budget and the schools.</p>"

    html = (f'<html><body><div class="grid"><div class="body-part">{para(1)}{para(2)}</div></div>'
            f'<div class="ad-row"><p>Advertisement</p></div>'
            f'<div class="grid"><div class="body-part">{para(3)}{para(4)}</div></div>'
            f'<div class="footer"><p>Footer text of the site with its address and many other words in it.</p></div>'
            f"</body></html>")
    tree = lxml_html.document_fromstring(html)
    first_block = "\n".join(lxml_html.fromstring(para(n)).text_content() for n in (1, 2))
    before, after = extractors.sibling_blocks(tree, first_block)
    assert before == [] and [a.split()[1] for a in after] == ["3", "4"]
    # a text whose block has no same-class siblings gets nothing added
    assert extractors.sibling_blocks(tree, "Footer text of the site with its address and many other words in it.") == (
        [], [])


def test_related_content_labels_and_paywall_prompts_in_several_languages_are_boilerplate() -> None:
    for line in ("Das Thema könnte dich auch interessieren:", "Schon gelesen?", "Zum Weiterlesen:", "Teilen mit:",
                 "Wird geladen …", "Le puede interesar", "NOTAS RELACIONADAS", "Weitere Artikel zum Thema",
                 "Anzeige, enthält Affiliate Links", "Síguenos en Telegram, Instagram, Facebook y Twitter",
                 "To view the full story, please subscribe to The Harbour Times.",
                 "For the latest stories and breaking news updates download our app.",
                 "Titelbild: Stadtarchiv", "Image illustrative", "Category : Press Releases", "View Comments",
                 "Le puede interesar: El parlamento aprueba la reforma", "(Credit: Jo Kim / Daily Planet)",
                 "Do you want to be informed of our actions? Sign up here",
                 "For the latest stories download the Daily Planet apps for iOS and Android.",
                 "| \xa0Weitere\xa0Artikel\xa0zum\xa0Thema |"):
        assert is_boilerplate(line), line
    for line in ("Die Anzeige gegen den Bürgermeister wurde zurückgezogen, teilte die Staatsanwaltschaft mit.",
                 "Temas como la vivienda y el empleo dominaron el debate en el parlamento regional este martes."):
        assert not is_boilerplate(line), line


def test_a_lead_printed_in_an_intro_block_above_the_text_is_put_back() -> None:
    from etl.extract import extractors

    lead = "The council has approved the budget for next year after a debate that lasted into the night."
    paras = "".join(f"<p>Paragraph {n} explains what the budget means for schools, roads and the city's parks.</p>"
                    for n in range(1, 4))
    html = (f'<html><body><article><h1>Budget approved</h1><div class="article-intro"><p>{lead}</p></div>'
            f'<div class="content">{paras}</div></article><footer><p class="summary">Site summary text '
            f"that is not part of this article at all.</p></footer></body></html>")
    tree = lxml_html.document_fromstring(html)
    body = "\n".join(lxml_html.fromstring(p).text_content() for p in paras.replace("</p>", "</p>\n").split("\n") if p)
    assert extractors.printed_lead(tree, body) == lead
    # a lead already in the text, one cut short with "...", or one holding the headline is not added
    assert extractors.printed_lead(tree, lead + "\n" + body) is None
    cut = html.replace(lead, lead[:-1] + "...")
    assert extractors.printed_lead(lxml_html.document_fromstring(cut), body) is None
    assert extractors.printed_lead(tree, body, ("the council has approved the budget for next year",)) is None


def test_an_author_biography_box_is_not_body() -> None:
    paragraph = "<p>" + "The council approved the new budget after a long debate on Tuesday evening. " * 6 + "</p>"
    bio = ('<div class="author-bio"><p>Jo Kim is the senior editor of the Daily Planet and has covered the city '
           "council for twelve years.</p></div>")
    html = f"<html><body><article><h1>Budget passes</h1>{paragraph}{paragraph}{bio}</article></body></html>"
    outcome = extract_html_found(html, "https://news.example/budget", Settings()).outcome
    assert not isinstance(outcome, Reject)
    assert "council approved" in outcome.text and "senior editor" not in outcome.text


def test_a_data_table_row_is_not_read_as_one_cell() -> None:
    assert not is_boilerplate("| LOW | LOWE'S COMPANIES INC. | 113.40 | -1.62 | -1.41% |")


# --- body text: boxes, key points, link items, ruby (issue 11) --------------------------------------

STORY = "<p>" + "The council approved the new budget after a long debate on Tuesday evening. " * 6 + "</p>"


def body_of(article: str, url: str = "https://news.example/budget") -> str:
    outcome = extract_html_found(f"<html><body><article><h1>Budget passes</h1>{article}</article></body></html>",
                                 url, Settings()).outcome
    assert not isinstance(outcome, Reject)
    return outcome.text


def test_a_titled_fact_box_is_not_body_but_an_untitled_box_is_left() -> None:
    from etl.extract import extractors

    box = ('<div class="story-factbox"><h3>What else is in the budget?</h3><p>Other measures in the plan '
           "include new bus lanes, a larger library and longer opening hours for the city's pools.</p></div>")
    text = body_of(STORY + box + STORY)
    assert "council approved" in text and "bus lanes" not in text
    tree = lxml_html.document_fromstring(
        '<html><body><div class="infobox"><h3>Facts</h3><p>a</p></div>'
        '<div class="placeholder-infobox"><p>Book: Title, Publisher 2025</p></div>'
        '<div class="infobox-top"><h1>The headline</h1></div></body></html>')
    assert extractors.drop_fact_boxes(tree) == 1  # no title, or the page's own headline: not a fact box
    assert tree.find(".//h1") is not None and "Publisher" in tree.text_content()


def test_a_key_points_digest_is_not_body_but_a_summary_dek_is_left() -> None:
    from etl.extract import extractors

    digest = ('<div class="article-summary"><h2>In short</h2><ul><li>The council approved the budget.</li>'
              "<li>Schools get more money for teachers and buildings.</li><li>Roads will be repaired.</li></ul></div>")
    text = body_of(digest + STORY + STORY)
    assert "council approved the new budget" in text and "Schools get more money" not in text
    dek = ('<html><body><div class="summary"><p>A dek of one sentence that sums the story up for readers in a few'
           ' words.</p><ul><li>a</li><li>b</li></ul></div></body></html>')
    assert extractors.drop_summary_boxes(lxml_html.document_fromstring(dek)) == 0


def test_list_items_that_are_mostly_a_link_into_the_site_go() -> None:
    from etl.extract import extractors

    related = ('<ul><li><strong>Interview: </strong><a href="/other/1">The mayor explains her plans for the city'
               '</a></li><li><strong>Archive: </strong><a href="https://news.example/other/2">How the last budget '
               "was passed</a></li></ul>")
    text = body_of(STORY + related + STORY)
    assert "council approved" in text and "mayor explains" not in text
    # links to other sites (a list of press coverage) are content, and so are prose items
    press = ('<html><body><ul><li>12 May: <a href="https://paper.example/a">Article in the Paper</a></li>'
             "<li>Items of prose that tell the reader what the list is about, with no link at all.</li>"
             '<li><a href="/x">Read</a> a long item of prose that only starts with a link and then goes on.</li>'
             "</ul></body></html>")
    assert extractors.link_items(lxml_html.document_fromstring(press), "https://news.example/a") == frozenset()
    # subdomains are the site; other schemes and malformed links are not, and do not raise
    odd = ('<html><body><ul><li><a href="//m.news.example/x">Mobile story</a></li>'
           '<li><a href="mailto:desk@news.example">Write to the desk</a></li>'
           '<li><a href="http://[ccpa-preferences]/">Privacy choices</a></li></ul></body></html>')
    assert extractors.link_items(lxml_html.document_fromstring(odd), "https://www.news.example/a") == frozenset(
        {"mobile story"})
    hints = PageHints.build(link_items=frozenset({"interview the mayor explains"}))
    prose = "The council approved the new budget after a long debate on Tuesday evening."
    assert clean_body(f"{prose}\n- Interview: The mayor explains", hints) == prose
    # a post that is mostly such a list (a link roundup) keeps it
    assert clean_body("Links.\n- Interview: The mayor explains", hints).endswith("mayor explains")


def test_ruby_readings_are_written_inline_or_dropped() -> None:
    from etl.extract import extractors

    tree = lxml_html.document_fromstring(
        "<html><body><p>韓国の<ruby><rb>尹錫悦</rb><rp>（</rp><rt>ユンソンニョル</rt><rp>）</rp></ruby>大統領は</p>"
        "<p><ruby>子<rt>こ</rt></ruby>どもへの</p></body></html>")
    assert extractors.flatten_ruby(tree) == 2
    assert [p.text_content() for p in tree.iter("p")] == ["韓国の尹錫悦（ユンソンニョル）大統領は", "子どもへの"]


def test_members_only_prompts_newsletters_and_cjk_datelines() -> None:
    for line in ("この記事は会員限定です。", "おすすめ情報", "関連記事",
                 "Der Newsletter informiert Sie montags bis freitags über das Wichtigste, direkt in Ihr Postfach.",
                 "Sie mögen den Tag kompakt? Dann sind Sie beim täglichen Newsletter richtig – hier entlang."):
        assert is_boilerplate(line), line
    # a line of only a date and time (and "updated") is a dateline; a sentence with a date is text
    assert is_boilerplate("2025年1月14日 01時28分 (1月14日 01時40分更新)")
    for line in ("会員限定の割引が問題になった。", "2025年1月14日に地震があった。"):
        assert not is_boilerplate(line), line


def test_video_teaser_captions_ending_in_a_duration_are_boilerplate() -> None:
    for line in ("Der Minister spricht über die Lage und die Folgen für den Handel. 21.04.2024 | 3:18 min",
                 "05.09.2024 | 2:03 min", "02:57 Min.. Verfügbar bis 06.05.2024."):
        assert is_boilerplate(line), line
    # a time in a sentence of the text is no clip's duration
    assert not is_boilerplate("Sie lief die Meile in 4:12 min und stellte damit einen neuen Landesrekord auf.")


def test_subscriber_only_prompts_in_several_languages_are_boilerplate() -> None:
    for line in ("Esta funcionalidad es sólo para suscriptores",
                 "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",
                 "Dieser Artikel ist nur für Abonnenten", "This article is available for subscribers only."):
        assert is_boilerplate(line), line
    for line in ("These changes apply to subscribers of the basic plan from March, the company said.",
                 "Apple said the feature is only available to subscribers in the United States for now."):
        assert not is_boilerplate(line), line
