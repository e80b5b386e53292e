"""Entity stage: the real spaCy model, the normalization rules inside one article, and entities across
the warehouse (seed aliases, short forms resolved by evidence, ambiguity)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.entities import (
    ENTITY_TYPES,
    clean_mention,
    extract_entities,
    is_junk,
    load_model,
    normalize_mentions,
    relabel,
    shutdown_pool,
)
from etl.entities.mentions import merge_mentions
from etl.entities.resolve import Override, Overrides, Resolution
from etl.pipeline import runs as pipeline
from etl.pipeline.resolve import resolve_entities
from etl.pipeline.runs import load_seeds
from etl.records import Article, EntityMention
from etl.seeds import ALIASES_FILE, SeedFileError, plural_name, read_alias_seeds, seed_labels
from etl.settings import Settings
from etl.store.articles import LoadItem, load_articles

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "000_2e8ba84eba1d1d65.txt"


def seed_article() -> Article:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return Article(url="https://example.org/seed", canonical_url="https://example.org/seed", title=lines[0],
                   text="\n".join(lines[1:]), language="en")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Secretary Blinken", "Blinken"), ("the White House", "White House"), ("Xi's", "Xi"),
     ("Chinese President Xi Jinping", "Xi Jinping"), ("President Joe Biden", "Joe Biden"), ("Mr. Smith", "Smith"),
     ("“Reuters”", "Reuters"), ("Blinken’s", "Blinken"), ("the U.S.", "U.S."), ("U.S.", "U.S."),
     ("State Councilor and Foreign Minister Qin", "Qin"), ("ex-President Trump", "Trump"),
     ("Secretary-General António Guterres", "António Guterres"), ("Dr. Anthony Fauci", "Anthony Fauci"),
     ("Reuters'", "Reuters"), ("The United States of America", "United States of America"),
     ("’s Hoa Lo", "Hoa Lo"), ("’s Haqqani", "Haqqani"),  # NER began at the "'s" of the word before
     ("Secretary of State", "Secretary of State")],  # no name follows: kept whole, then dropped as a role
)
def test_clean_mention(raw: str, clean: str) -> None:
    assert clean_mention(raw) == clean


@pytest.mark.parametrize(("raw", "label"), [("General Motors", "ORG"), ("Justice Department", "ORG"),
                                            ("King's College", "ORG")])
def test_titles_are_only_stripped_from_people(raw: str, label: str) -> None:
    assert clean_mention(raw, label) == raw


@pytest.mark.parametrize(
    "name",
    ["A", "--", "2023", "the", "people", "State", "Councilor", "State Councilor", "Foreign Minister",
     "Secretary of State", "Prime Minister", "Mr", "Monday", "Ministry", "www.example.com", "@reuters",
     "One Two Three Four Five Six Seven Eight Nine", "Advertisement Business > Agriculture Quebec", "Home | News",
     "Garrett hit Rudolph", "Super fun & entertaining", "RRP", "Ebitda", "Q2", "Group D", "Path A",
     "Week 12", "Season 3"],
)
def test_junk_never_becomes_an_entity(name: str) -> None:
    assert is_junk(name)


@pytest.mark.parametrize("name", ["US", "U.S.", "Supreme Court", "Defense Ministry", "General Assembly", "Xi",
                                  "NATO", "iPhone", "Qin Gang", "Chinese", "AC/DC", "Disney+", "Bank of America",
                                  "Council on Foreign Relations", "Committee to Protect Journalists",
                                  "Ludwig van Beethoven", "Democratic Progressive party", "Audi e-tron Sportback"])
def test_real_names_are_not_junk(name: str) -> None:
    assert not is_junk(name)


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [("Rosoboronexport", "GPE", "ORG"), ("Sberbank", "PERSON", "ORG"), ("Harvard University", "PERSON", "ORG"),
     ("Bank of England", "GPE", "ORG"), ("West Bank", "GPE", "GPE"), ("Soviet Union", "GPE", "GPE"),
     ("Russian Federation", "GPE", "GPE"), ("Beijing", "GPE", "GPE"), ("Joe Biden", "PERSON", "PERSON"),
     ("Bank Holiday", "EVENT", "EVENT")],
)
def test_relabel_organizations_the_model_calls_places_or_people(name: str, label: str, expected: str) -> None:
    assert relabel(name, label) == expected


def test_short_forms_resolve_to_the_longest_mention_and_label_majority_wins() -> None:
    ents = [("Antony Blinken", "PERSON", 10), ("Blinken", "PERSON", 200), ("Blinken", "ORG", 300),
            ("Xi Jinping", "PERSON", 50), ("Xi", "PERSON", 400), ("China", "GPE", 5), ("China", "GPE", 90)]
    out = {m.name: m for m in normalize_mentions(ents, title_len=20, lead_end=100)}
    assert set(out) == {"Antony Blinken", "Xi Jinping", "China"}
    assert out["Antony Blinken"].label == "PERSON" and out["Antony Blinken"].mention_count == 3
    assert out["Antony Blinken"].short_forms == ("Blinken",)  # evidence for resolution across articles
    short_forms = {m.name: forms for m, forms in merge_mentions(ents, title_len=20, lead_end=100)}
    assert short_forms["Antony Blinken"] == ("Blinken",) and short_forms["Xi Jinping"] == ("Xi",)
    assert out["China"].in_title and out["China"].first_offset == 5
    assert out["China"].salience > out["Xi Jinping"].salience


def test_salience_is_a_share_of_the_article() -> None:
    # one entity: all of the article
    [m] = normalize_mentions([("Kenya", "GPE", 0), ("Kenya", "GPE", 50)], title_len=10, lead_end=40)
    assert (m.mention_count, m.first_offset, m.in_title, m.salience) == (2, 0, True, 1.0)
    out = normalize_mentions([("Kenya", "GPE", 20), ("Uganda", "GPE", 60)], title_len=10, lead_end=40)
    assert abs(sum(m.salience for m in out) - 1.0) < 1e-5
    assert out[0].name == "Kenya"  # the lead weighs more than the rest of the body


def test_label_is_the_majority_weighted_by_mention_length() -> None:
    ents = [("Jordan", "PERSON", 10), ("Jordan", "GPE", 20), ("Jordan", "GPE", 30)]
    [m] = normalize_mentions(ents, 0, 100)
    assert (m.name, m.label, m.mention_count) == ("Jordan", "GPE", 3)


def test_ambiguous_short_form_takes_the_nearest_full_name_and_is_not_learned() -> None:
    ents = [("Joe Biden", "PERSON", 0), ("Biden", "PERSON", 100), ("Hunter Biden", "PERSON", 200),
            ("Biden", "PERSON", 300), ("Biden", "PERSON", 310)]
    out = {m.name: m for m in normalize_mentions(ents, 0, 1000)}
    assert set(out) == {"Joe Biden", "Hunter Biden"}
    assert out["Joe Biden"].mention_count == 2 and out["Hunter Biden"].mention_count == 3
    assert out["Joe Biden"].short_forms == ("Biden",) and out["Hunter Biden"].short_forms == ("Biden",)


def test_places_are_not_merged_into_longer_places_or_people() -> None:
    ents = [("South Sudan", "GPE", 0), ("Sudan", "GPE", 50), ("George Washington University", "ORG", 100),
            ("Washington", "GPE", 150), ("South Africa", "GPE", 200), ("Africa", "LOC", 250),
            ("New York City", "GPE", 300), ("New York", "GPE", 350)]
    out = {m.name: m for m in normalize_mentions(ents, 0, 1000)}
    assert set(out) == {"South Sudan", "Sudan", "George Washington University", "Washington", "South Africa",
                        "Africa", "New York City"}
    assert out["New York City"].mention_count == 2
    assert out["New York City"].short_forms == ("New York",)


def test_case_variants_and_possessives_are_one_entity_and_roles_are_dropped() -> None:
    ents = [("Reuters", "ORG", 0), ("REUTERS", "ORG", 40), ("Reuters'", "ORG", 60), ("State", "ORG", 80),
            ("Councilor", "PERSON", 90), ("the White House", "ORG", 100), ("White House's", "ORG", 120),
            ("2023", "DATE", 130), ("two", "CARDINAL", 140), ("people", "NORP", 150)]
    out = {m.name: m for m in normalize_mentions(ents, 0, 200)}
    assert set(out) == {"Reuters", "White House"}
    assert out["Reuters"].mention_count == 3 and out["White House"].mention_count == 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["Antony Blinken", "Blinken", "the US", "US", "Xi", "Xi Jinping", "State", "2023", "a",
                     "President Biden", "Biden", "Joe Biden", "Hunter Biden", "Reuters", "REUTERS", "South Sudan",
                     "Sudan", "Mr.", "people", "Rosoboronexport", "  ", "…", "O'Brien's"]),
    st.sampled_from(sorted(ENTITY_TYPES) + ["DATE", "CARDINAL"]),
    st.integers(min_value=0, max_value=999)), max_size=30))
def test_normalization_invariants(ents: list[tuple[str, str, int]]) -> None:
    out = normalize_mentions(ents, title_len=50, lead_end=300)
    names = [m.name for m in out]
    assert len(names) == len(set(names))
    kept = [(t, lab, o) for t, lab, o in ents if lab in ENTITY_TYPES and not is_junk(clean_mention(t, lab))]
    assert sum(m.mention_count for m in out) == len(kept)
    for m in out:
        assert m.label in ENTITY_TYPES and not is_junk(m.name)
        assert m.in_title == (m.first_offset < 50)
        assert 0 < m.salience <= 1.0
        assert all(clean_mention(f, m.label) != m.name for f in m.short_forms)
    if out:
        assert abs(sum(m.salience for m in out) - 1.0) < 1e-4


def test_seed_article_with_the_real_model() -> None:
    settings_ = Settings()
    [mentions] = extract_entities([seed_article()], settings_)
    by_label: dict[str, set[str]] = {}
    for m in mentions:
        by_label.setdefault(m.label, set()).add(m.name)
    people = by_label["PERSON"]
    assert {"Antony Blinken", "Xi Jinping", "Joe Biden", "Wang Yi", "Qin Gang", "Li Shangfu"} == people
    assert {"Reuters", "White House", "Rosoboronexport"} <= by_label["ORG"]
    assert "State" not in by_label["ORG"] and "Rosoboronexport" not in by_label.get("GPE", set())
    assert load_model(settings_.spacy_model).pipe_names == ["ner"]


def test_a_process_pool_gives_the_same_entities() -> None:
    article = seed_article()
    paragraphs = article.text.split("\n")
    articles = [Article(url=f"u{i}", canonical_url=f"u{i}", title=f"Part {i}", text=p, language="en")
                for i, p in enumerate(paragraphs)] + [article]
    one = extract_entities(articles, Settings(ner_batch_size=4))
    try:
        pooled = extract_entities(articles, Settings(ner_batch_size=4, ner_workers=2))
    finally:
        shutdown_pool()
    assert pooled == one
    assert sum(len(m) for m in one) > 30


def test_non_english_articles_get_no_entities() -> None:
    article = Article(url="u", canonical_url="u", title="Berlin", language="de",
                      text="Bundeskanzler Olaf Scholz traf am Montag in Berlin den französischen Präsidenten.")
    assert extract_entities([article], Settings()) == [[]]


# --- across the warehouse ---------------------------------------------------------------------


def _source(db: psycopg.Connection) -> int:
    return db.execute("insert into sources (name, kind, location) values ('s', 'files', 'x') "
                      "on conflict (name) do update set kind = excluded.kind returning source_id").fetchone()[0]


def _load(url: str, db: psycopg.Connection, *articles: tuple[Article, list[EntityMention]]) -> None:
    """One load batch, then the resolution step (as a run does after its process stage)."""
    sid = _source(db)
    with psycopg.connect(url) as conn, conn.transaction():
        load_articles(conn, [LoadItem(a, ents, sid, None) for a, ents in articles], None)
    resolve_entities(url)


def _article(key: str, text: str = "Body.") -> Article:
    return Article(url=f"https://example.org/{key}", canonical_url=f"https://example.org/{key}", title=key,
                   text=f"{text} {key}", language="en")


def _mention(name: str, label: str, short_forms: tuple[str, ...] = ()) -> EntityMention:
    return EntityMention(name, label, 1, 0, False, 1.0, short_forms)


def _entities(db: psycopg.Connection) -> set[tuple[str, str]]:
    return {(n, t) for n, t in db.execute(
        "select e.name, e.type from entities e where exists "
        "(select 1 from article_entities ae where ae.entity_id = e.entity_id)")}


def test_seed_article_in_the_warehouse_one_row_per_entity(warehouse_url: str, db: psycopg.Connection) -> None:
    pipeline.prepare_database(warehouse_url)
    article = seed_article()
    [mentions] = extract_entities([article], Settings())
    spelled = _article("us-spellings", "Officials in the U.S. and the United States of America and USA agreed.")
    _load(warehouse_url, db, (article, mentions),
          (spelled, [_mention("U.S.", "GPE"), _mention("United States of America", "GPE"), _mention("USA", "ORG")]))
    linked = _entities(db)
    people = {n for n, t in linked if t == "PERSON"}
    assert people == {"Antony Blinken", "Xi Jinping", "Joe Biden", "Wang Yi", "Qin Gang", "Li Shangfu"}
    assert {("Reuters", "ORG"), ("White House", "ORG"), ("United States", "GPE")} <= linked
    assert not {n for n, _ in linked} & {"Blinken", "Biden", "Xi", "Qin", "US", "U.S.", "USA", "State", "Councilor"}
    assert db.execute("select count(*) from entities where name in ('US', 'United States', 'U.S.')").fetchone() == (1,)
    us_links = db.execute(
        "select a.title, ae.mention_count from article_entities ae join entities e using (entity_id) "
        "join articles a using (article_id) where e.name = 'United States' order by a.title").fetchall()
    assert us_links[1] == ("us-spellings", 3)  # three spellings merged into one link
    assert us_links[0][1] == 14  # 11 "US" + 3 "the United States" in the seed article
    short = dict(db.execute("select short_key, long_key from entity_short_forms").fetchall())
    assert short["blinken"] == "antony blinken"  # stored as evidence; one article decides nothing
    assert db.execute("select decided_by from entity_resolution where name_key = 'antony blinken'").fetchone() \
        == ("self",)


def test_a_short_form_resolves_once_two_articles_give_the_same_full_name(warehouse_url: str,
                                                                          db: psycopg.Connection) -> None:
    _load(warehouse_url, db, (_article("a"), [_mention("Acme Space Works", "ORG", ("Acme",))]))
    _load(warehouse_url, db, (_article("b"), [_mention("Acme", "ORG")]))
    rows = db.execute("select a.title, e.name from article_entities join entities e using (entity_id) "
                      "join articles a using (article_id) order by a.title").fetchall()
    assert rows == [("a", "Acme Space Works"), ("b", "Acme")]  # one article is no evidence yet
    _load(warehouse_url, db, (_article("c"), [_mention("Acme Space Works", "ORG", ("Acme",))]),
          (_article("d"), [_mention("ACME", "ORG")]))
    rows = db.execute("select a.title, e.name from article_entities join entities e using (entity_id) "
                      "join articles a using (article_id) order by a.title").fetchall()
    assert rows == [("a", "Acme Space Works"), ("b", "Acme Space Works"), ("c", "Acme Space Works"),
                    ("d", "Acme Space Works")]  # "b" re-resolved by the new evidence


def test_a_persons_surname_one_full_name_took_once_is_that_person(warehouse_url: str,
                                                                 db: psycopg.Connection) -> None:
    """A surname standing alone as a person, that one full name took in one article and no other
    full name anywhere, is that person (a headline fragment is no person's full name); a second
    full name makes it ambiguous again."""
    _load(warehouse_url, db, (_article("a"), [_mention("Antony Blinken", "PERSON", ("Blinken",))]))
    _load(warehouse_url, db, (_article("b"), [_mention("Blinken", "PERSON")]))
    rows = db.execute("select a.title, e.name from article_entities join entities e using (entity_id) "
                      "join articles a using (article_id) order by a.title").fetchall()
    assert rows == [("a", "Antony Blinken"), ("b", "Antony Blinken")]
    _load(warehouse_url, db, (_article("c"), [_mention("Dana Blinken", "PERSON", ("Blinken",))]))
    rows = db.execute("select a.title, e.name from article_entities join entities e using (entity_id) "
                      "join articles a using (article_id) order by a.title").fetchall()
    assert rows == [("a", "Antony Blinken"), ("b", "Blinken"), ("c", "Dana Blinken")]


def test_an_ambiguous_short_form_stays_itself(warehouse_url: str, db: psycopg.Connection) -> None:
    _load(warehouse_url, db, (_article("joe"), [_mention("Joe Biden", "PERSON", ("Biden",))]),
          (_article("joe2"), [_mention("Joe Biden", "PERSON", ("Biden",))]),
          (_article("lone"), [_mention("Biden", "PERSON")]))
    assert db.execute("select alias_of from entity_resolution where name_key = 'biden'").fetchone() == ("joe biden",)
    _load(warehouse_url, db, (_article("hunter"), [_mention("Hunter Biden", "PERSON", ("Biden",))]),
          (_article("hunter2"), [_mention("Hunter Biden", "PERSON")]))
    assert db.execute("select alias_of from entity_resolution where name_key = 'biden'").fetchone() == (None,)
    # a lone "Biden" stays its own entity rather than possibly the wrong Biden
    assert ("Biden", "PERSON") in _entities(db)


def test_seeds_load_idempotently_and_fold_older_spellings(warehouse_url: str, db: psycopg.Connection) -> None:
    # a warehouse loaded before the seeds existed: "US" and "UK" are entities of their own
    _load(warehouse_url, db, (_article("old"), [_mention("US", "GPE"), _mention("UK", "GPE")]),
          (_article("both"), [_mention("US", "GPE"), _mention("United States", "GPE")]))
    assert ("US", "GPE") in _entities(db)
    n = load_seeds(warehouse_url)
    assert n == len(read_alias_seeds())
    resolve_entities(warehouse_url)
    counts = db.execute("select (select count(*) from entities), (select count(*) from entity_aliases), "
                        "(select count(*) from article_entities)").fetchone()
    links = db.execute("select a.title, e.name, ae.mention_count, ae.salience from article_entities ae "
                       "join entities e using (entity_id) join articles a using (article_id) "
                       "order by a.title, e.name").fetchall()
    assert links == [("both", "United States", 2, 2.0), ("old", "United Kingdom", 1, 1.0),
                     ("old", "United States", 1, 1.0)]
    assert ("US", "GPE") not in {(n, t) for n, t in db.execute("select name, type from entities")}
    xmin_before = db.execute("select array_agg(xmin::text order by alias, type) from entity_aliases").fetchone()
    load_seeds(warehouse_url)
    assert db.execute("select count(*) from entity_pending").fetchone() == (0,)  # nothing changed: nothing queued
    assert db.execute("select (select count(*) from entities), (select count(*) from entity_aliases), "
                      "(select count(*) from article_entities)").fetchone() == counts
    assert db.execute("select array_agg(xmin::text order by alias, type) from entity_aliases").fetchone() \
        == xmin_before  # nothing rewritten


def test_seed_aliases_answer_for_confused_labels_but_not_ambiguous_names() -> None:
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seeds[("UAE", "ORG")] == ("United Arab Emirates", "GPE")
    assert seeds[("United States of America", "GPE")] == ("United States", "GPE")
    assert seeds[("United States", "GPE")] == ("United States", "GPE")
    assert seeds[("EU", "GPE")] == ("European Union", "ORG")
    assert not {"America", "Holland", "AU", "ICC", "Emirates"} & {alias for alias, _ in seeds}


def test_plural_org_seeds_answer_for_people_labels() -> None:
    # the model reads a team's plural nickname as people ("the Steelers" PERSON): an ORG seed
    # spelled as a plural answers for a PERSON mention; no other ORG seed, and no GPE seed, does
    assert plural_name("Steelers") and plural_name("Red Wings") and plural_name("49ers")
    assert not any(plural_name(n) for n in ("Congress", "Campus", "Paris", "Macy's", "Red Sox", "Fed", "Bus", ""))
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seeds[("Steelers", "PERSON")] == ("Pittsburgh Steelers", "ORG")
    assert seeds[("Red Wings", "PERSON")] == ("Detroit Red Wings", "ORG")
    assert seeds[("Pittsburgh Steelers", "PERSON")] == ("Pittsburgh Steelers", "ORG")
    assert seeds[("Oakland Raiders", "LOC")] == ("Las Vegas Raiders", "ORG")
    assert ("Fed", "PERSON") not in seeds and ("United States", "PERSON") not in seeds
    assert ("Democrats", "PERSON") not in seeds  # a NORP seed keeps its labels
    overrides = Overrides(Override(a, lab, c, t) for (a, lab), (c, t) in seeds.items())
    resolution = Resolution(overrides=overrides)
    assert resolution.resolve_name("Broncos", "PERSON") == ("Denver Broncos", "ORG")
    assert resolution.resolve_name("Bruins", "ORG") == ("Boston Bruins", "ORG")
    assert resolution.resolve_name("Jets", "PERSON") == ("Jets", "PERSON")  # two teams' nickname: no seed


def test_possessive_business_seeds_keep_their_s_and_answer_for_people_labels() -> None:
    # "Lowe's" is the business, read by the model as a person's possessive: the seed spelling keeps its
    # "'s" and answers PERSON mentions; the bare name ("Rob Lowe"'s surname) is not the business
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seeds[("Lowe's", "PERSON")] == seeds[("Lowe's Companies", "ORG")] == ("Lowe's", "ORG")
    assert seeds[("McDonald's", "ORG")] == ("McDonald's", "ORG")
    assert not {("Lowe", "PERSON"), ("Lowe", "ORG"), ("Macy", "PERSON"), ("Macy", "ORG")} & set(seeds)
    assert ("Home Depot", "PERSON") not in seeds and seeds[("Home Depot", "ORG")] == ("The Home Depot", "ORG")
    resolution = Resolution(overrides=Overrides(Override(a, lab, c, t) for (a, lab), (c, t) in seeds.items()))
    assert resolution.resolve_name("Macy's", "PERSON") == ("Macy's", "ORG")
    assert resolution.resolve_name("Lowe", "PERSON") == ("Lowe", "PERSON")


def test_camel_case_org_seeds_answer_for_people_labels() -> None:
    # no person's name is written in camel case but the Mc/Mac/O' ones: "SpaceX" read as a person is
    # the company; a one-word ORG seed of another shape ("Netflix") answers the place labels only
    from etl.seeds import camel_case

    assert camel_case("SpaceX") and camel_case("YouTube") and camel_case("eBay")
    assert not any(camel_case(n) for n in ("McCarthy", "MacArthur", "O'Brien", "Netflix", "NASA", "Red Wings"))
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seeds[("SpaceX", "PERSON")] == ("SpaceX", "ORG")
    assert seeds[("Netflix", "GPE")] == ("Netflix", "ORG") and ("Netflix", "PERSON") not in seeds


def test_historical_surname_seeds_answer_for_people_only_and_leave_shared_surnames_out() -> None:
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seeds[("Hitler", "PERSON")] == ("Adolf Hitler", "PERSON")
    assert ("Lincoln", "GPE") not in seeds and ("Lincoln", "ORG") not in seeds  # the city, the carmaker
    shared = ("Roosevelt", "Kennedy", "Bush", "Clinton", "Gandhi", "Biden", "Trump")
    assert not {(n, "PERSON") for n in shared} & set(seeds)


def test_product_seeds_answer_for_org_labels() -> None:
    # the model reads a product or a market index as an organization ("Kindle", "Sensex" tagged ORG):
    # a PRODUCT seed answers for ORG mentions too, never for the GPE/LOC/NORP/PERSON labels
    seeds = {(s.alias, s.label): (s.canonical, s.canonical_type) for s in read_alias_seeds(ALIASES_FILE)}
    assert seed_labels("PRODUCT") == ("PRODUCT", "ORG") and seed_labels("PERSON") == ("PERSON",)
    assert seeds[("Sensex", "ORG")] == ("BSE SENSEX", "PRODUCT")
    assert seeds[("Alexa", "ORG")] == seeds[("Alexa", "PRODUCT")] == ("Amazon Alexa", "PRODUCT")
    assert seeds[("Dow", "ORG")] == ("Dow Jones Industrial Average", "PRODUCT")
    assert not {("Alexa", "PERSON"), ("Alexa", "GPE"), ("Kindle", "NORP")} & set(seeds)
    # ambiguous short forms stay themselves
    assert not {"Nasdaq", "Nikkei", "Switch", "Windows", "Echo", "Prime", "Pixel", "Surface", "S&P"} \
        & {alias for alias, _ in seeds}
    resolution = Resolution(overrides=Overrides(Override(a, lab, c, t) for (a, lab), (c, t) in seeds.items()))
    assert resolution.resolve_name("Kindle", "ORG") == ("Amazon Kindle", "PRODUCT")
    assert resolution.resolve_name("Shanghai Composite", "ORG") == ("SSE Composite Index", "PRODUCT")
    assert resolution.resolve_name("Apple", "ORG") == ("Apple", "ORG")  # the company is no product


def test_a_product_seed_sharing_an_org_spelling_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    # the ORG seed's "Nasdaq" (ORG) and the PRODUCT seed's answer for ORG mentions would clash
    path.write_text("alias,type,canonical\nNasdaq,ORG,Nasdaq\nNasdaq,PRODUCT,Nasdaq Composite\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match="'Nasdaq' \\(ORG\\).*ambiguous"):
        read_alias_seeds(path)


def test_team_nicknames_of_two_teams_or_other_things_are_no_seed() -> None:
    aliases = {s.alias for s in read_alias_seeds(ALIASES_FILE)}
    # two teams of the four leagues, common words, peoples, and other teams' nicknames stay themselves
    left_out = {"Jets", "Giants", "Panthers", "Cardinals", "Rangers", "Kings", "Heat", "Magic", "Thunder", "Jazz",
                "Wild", "Lightning", "Texans", "Vikings", "Islanders", "Browns", "Spurs", "Eagles", "Lions", "Tigers",
                "Athletics", "Redskins"}
    assert not left_out & aliases
    teams = {s.canonical for s in read_alias_seeds(ALIASES_FILE) if s.canonical_type == "ORG"
             and s.alias in ("Pittsburgh Steelers", "Golden State Warriors", "Utah Mammoth", "Cleveland Guardians")}
    assert len(teams) == 4


def test_an_ambiguous_seed_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,type,canonical\nAU,ORG,African Union\nAU,GPE,Australia\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match="'AU'.*ambiguous"):
        read_alias_seeds(path)
    path.write_text("alias,type,canonical\nX,MONEY,Y\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match="MONEY"):
        read_alias_seeds(path)


def test_a_seed_alias_written_with_a_capital_the_keeps_it(tmp_path: Path) -> None:
    seed = tmp_path / "aliases.csv"
    seed.write_text("alias,type,canonical\nThe Associated Press,ORG,Associated Press\nthe UN,ORG,United Nations\n",
                    encoding="utf-8")
    spellings = {(row.alias, row.canonical) for row in read_alias_seeds(seed)}
    assert ("The Associated Press", "Associated Press") in spellings  # AP's style, kept by the entity stage
    assert ("UN", "United Nations") in spellings and ("the UN", "United Nations") not in spellings
