"""One line saying how much of the stories the entities cover, and in which languages."""

from __future__ import annotations

from etl.store.entities import EntityCoverage


def coverage_line(coverage: EntityCoverage) -> str:
    """ "entities cover 63% of stories (40 of 63): en, fr; none in es (15), pt (8)" — the languages of
    the stories with entities, then those whose stories have none (no NER model for them)."""
    if not coverage.stories:
        return "entities cover no stories: there are none"
    share = coverage.with_entities / coverage.stories
    covered = [c.language for c in coverage.languages if c.with_entities]
    bare = [f"{c.language} ({c.stories})" for c in coverage.languages if not c.with_entities]
    line = f"entities cover {share:.0%} of stories ({coverage.with_entities} of {coverage.stories})"
    if covered:
        line += ": " + ", ".join(covered)
    if bare:
        line += "; none in " + ", ".join(bare)
    return line
