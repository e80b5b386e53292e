"""Entity stage: the real spaCy model, and the normalization rules inside one article."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.entities import clean_mention, extract_entities, is_junk, load_model, normalize_mentions
from etl.records import Article
from etl.settings import Settings

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "000_2e8ba84eba1d1d65.txt"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Secretary Blinken", "Blinken"), ("the White House", "White House"), ("Xi's", "Xi"),
     ("Chinese President Xi Jinping", "Xi Jinping"),
     ("President Joe Biden", "Joe Biden"), ("Mr. Smith", "Smith"), ("“Reuters”", "Reuters")],
)
def test_clean_mention(raw: str, clean: str) -> None:
    assert clean_mention(raw) == clean


@pytest.mark.parametrize("name", ["A", "--", "2023", "the", "people"])
def test_junk_never_becomes_an_entity(name: str) -> None:
    assert is_junk(name)


def test_short_forms_resolve_to_the_longest_mention_and_label_majority_wins() -> None:
    ents = [("Antony Blinken", "PERSON", 10), ("Blinken", "PERSON", 200), ("Blinken", "ORG", 300),
            ("Xi Jinping", "PERSON", 50), ("Xi", "PERSON", 400), ("China", "GPE", 5), ("China", "GPE", 90)]
    out = {m.name: m for m in normalize_mentions(ents, title_len=20, text_len=500)}
    assert set(out) == {"Antony Blinken", "Xi Jinping", "China"}
    assert out["Antony Blinken"].label == "PERSON" and out["Antony Blinken"].mention_count == 3
    assert out["Antony Blinken"].aliases == ("Blinken",)
    assert out["China"].in_title and out["China"].first_offset == 5
    assert out["China"].salience > out["Xi Jinping"].salience


def test_seed_article_people_with_the_real_model() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    article = Article(url="file:///seed", canonical_url="file:///seed", title=lines[0],
                      text="\n".join(lines[1:]), language="en")
    settings = Settings()
    [mentions] = extract_entities([article], settings)
    people = {m.name for m in mentions if m.label == "PERSON"}
    assert {"Antony Blinken", "Xi Jinping", "Joe Biden", "Wang Yi", "Qin Gang", "Li Shangfu"} <= people
    assert not {"Blinken", "Biden", "Xi", "Qin"} & people
    assert load_model(settings.spacy_model).pipe_names == ["ner"]


def test_non_english_articles_get_no_entities() -> None:
    article = Article(url="u", canonical_url="u", title="Berlin", language="de",
                      text="Bundeskanzler Olaf Scholz traf am Montag in Berlin den französischen Präsidenten.")
    assert extract_entities([article], Settings()) == [[]]
