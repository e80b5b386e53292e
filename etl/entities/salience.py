"""Salience: how much of an article is about each of its entities, as a share that sums to 1.

Every mention weighs by where it stands: ``TITLE_WEIGHT`` (5) in the title, ``LEAD_WEIGHT`` (3) in
the lead (the body's first paragraphs, etl.entities.text.LEAD_PARAGRAPHS: what a news story opens
with is what it is about), ``BODY_WEIGHT`` (1) anywhere else in the body, heading lines included.
An entity's weight is the sum over its mentions, its share that weight over the article's total,
rounded to 6 places. The title adds weight; it does not make an entity: title mentions are only
found for names the body holds (etl.entities.text), so a headline word always has body mentions
too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TITLE_WEIGHT = 5.0
LEAD_WEIGHT = 3.0
BODY_WEIGHT = 1.0


def mention_weight(offset: int, title_len: int, lead_end: int) -> float:
    """The weight of one mention at ``offset`` (offsets below ``title_len`` are in the title, those
    from ``title_len`` up to ``lead_end`` in the lead)."""
    if offset < title_len:
        return TITLE_WEIGHT
    return LEAD_WEIGHT if offset < lead_end else BODY_WEIGHT


def salience_shares(
    offsets: Mapping[str, Sequence[int]], title_len: int, lead_end: int | None = None
) -> dict[str, float]:
    """Entity -> share of the article, from the character offsets of its mentions (the title is
    ``[0, title_len)``, the lead ``[title_len, lead_end)``; no lead when ``lead_end`` is None)."""
    end = title_len if lead_end is None else max(lead_end, title_len)
    weights = {name: sum(mention_weight(o, title_len, end) for o in where) for name, where in offsets.items()}
    total = sum(weights.values())
    if total <= 0:
        return {name: round(1.0 / len(weights), 6) for name in weights} if weights else {}
    return {name: round(w / total, 6) for name, w in weights.items()}
