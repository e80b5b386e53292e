"""Salience: how much of an article is about each of its entities, as a share that sums to 1.

An entity's weight is the sum over its body mentions of ``1 + LEAD_BONUS * (1 - position)``
(position 0 at the start of the body, 1 at its end: earlier mentions weigh a little more), plus
``TITLE_WEIGHT`` once when the title or a heading names it. The title adds weight; it does not
make an entity: title mentions are only found for names the body holds (etl.entities.text), and
one title mention weighs as much as about one body mention, so a name met once in the body and in
the headline does not outrank what the story keeps coming back to. Shares are the weights divided
by their sum, rounded to 6 places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LEAD_BONUS = 1.0
TITLE_WEIGHT = 1.5


def salience_shares(offsets: Mapping[str, Sequence[int]], title_len: int, text_len: int) -> dict[str, float]:
    """Entity -> share of the article, from the character offsets of its mentions (offsets below
    ``title_len`` are in the title, the others in the body of ``text_len`` characters)."""
    weights: dict[str, float] = {}
    span = max(text_len, 1)
    for name, where in offsets.items():
        body = [o - title_len for o in where if o >= title_len]
        weight = sum(1.0 + LEAD_BONUS * (1.0 - min(max(p, 0), span) / span) for p in body)
        if len(body) < len(where):
            weight += TITLE_WEIGHT
        weights[name] = weight
    total = sum(weights.values())
    if total <= 0:
        return {name: round(1.0 / len(weights), 6) for name in weights} if weights else {}
    return {name: round(w / total, 6) for name, w in weights.items()}
