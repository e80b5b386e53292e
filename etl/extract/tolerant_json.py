"""JSON-LD as CMSs really write it: almost JSON, repaired rather than thrown away.

Classes of breakage seen on many sites' ``<script type="application/ld+json">`` blocks:
a CDATA or HTML-comment wrapper; ``//`` and ``/* */`` comments; trailing commas; raw control
characters and line breaks inside strings; unescaped double quotes inside a headline
(``"Biden "incapacitado""``); single-quoted strings; one closing brace too many or a trailing
``;`` (data after the value); several objects in a row without an enclosing array; a value
cut short (closers missing). Thrown away, such a block lets a related story's date win.
"""

from __future__ import annotations

import json
import re
from typing import Any

WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
STRUCTURAL_AFTER_STRING = frozenset(":}]")
# What may follow "value", in an object or array: a key, or another value.
VALUE_START = frozenset("\"'{[]}-0123456789tfn/")
CLOSERS = {"{": "}", "[": "]"}
_DECODER = json.JSONDecoder(strict=False)


def loads(text: str) -> Any:
    """The JSON value(s) in ``text``: a list when several top-level values follow each other; None if hopeless."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = repair(WRAPPER.sub("", text.strip()))
    values = _values(repaired)
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _values(text: str) -> list[Any]:
    """Top-level values one after another (anything between them, like ``;`` or ``,``, skipped)."""
    out: list[Any] = []
    index = 0
    while True:
        starts = [i for i in (text.find("{", index), text.find("[", index)) if i >= 0]
        if not starts:
            return out
        index = min(starts)
        try:
            value, index = _DECODER.raw_decode(text, index)
        except ValueError:
            closed = _close(text[index:])
            try:
                value = _DECODER.decode(closed)
            except ValueError:
                return out
            out.append(value)
            return out
        out.append(value)


def repair(text: str) -> str:
    """One pass over the characters: comments dropped, strings re-quoted and escaped, trailing commas gone."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            literal, i = _string(text, i)
            out.append(literal)
            continue
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch in "}]":
            # a trailing comma before a closer
            j = len(out) - 1
            while j >= 0 and out[j].isspace():
                j -= 1
            if j >= 0 and out[j] == ",":
                del out[j]
        out.append(ch)
        i += 1
    return "".join(out)


def _string(text: str, start: int) -> tuple[str, int]:
    """The string literal opening at ``start`` as valid JSON, and the index after it."""
    quote = text[start]
    chars: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            chars.append("'" if nxt == "'" else ch + nxt)
            i += 2
            continue
        if ch == quote:
            following, at = _next_significant(text, i + 1)
            if following == ",":
                # ", " then prose ("... cargo", indicó el senador) is a quote in the text
                after, _ = _next_significant(text, at + 1)
                if after is None or after in VALUE_START:
                    return '"' + "".join(chars) + '"', i + 1
            elif following is None or following in STRUCTURAL_AFTER_STRING:
                return '"' + "".join(chars) + '"', i + 1
            chars.append('\\"' if quote == '"' else ch)  # a quote inside the text, not its end
            i += 1
            continue
        if ch == '"':
            chars.append('\\"')  # inside a single-quoted string
        elif ch == "\n":
            chars.append("\\n")
        elif ch < " ":
            chars.append(" ")
        else:
            chars.append(ch)
        i += 1
    return '"' + "".join(chars) + '"', n


def _next_significant(text: str, index: int) -> tuple[str | None, int]:
    n = len(text)
    while index < n and text[index].isspace():
        index += 1
    return (text[index] if index < n else None), index


def _close(fragment: str) -> str:
    """A value cut short, with the closers it is missing (strings are already well-formed here)."""
    stack: list[str] = []
    in_string = False
    escaped = False
    for ch in fragment:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in CLOSERS:
            stack.append(CLOSERS[ch])
        elif ch in "}]" and stack:
            stack.pop()
    body = fragment.rstrip().rstrip(",")
    if in_string:
        body += '"'
    return body + "".join(reversed(stack))
