"""Generated tables in README.md: a benchmark rewrites the block between its two markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace_block(name: str, content: str, readme: Path = README) -> bool:
    """Put ``content`` between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``; False when absent."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = readme.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    readme.write_text(f"{head}{begin}\n{content.strip()}\n{end}{tail}", encoding="utf-8")
    return True
