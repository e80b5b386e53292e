"""Bytes to text: charset from headers, then <meta>, then detection; binary and garbage refused."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.IGNORECASE)
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
# Share of U+FFFD replacement characters above which a decoded page is garbage.
MAX_REPLACEMENT_SHARE = 0.01


class DecodeError(ValueError):
    """The bytes are not text we can use; ``reason`` is the machine-readable reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset a Content-Type header or the page's first <meta> declares, if valid."""
    if content_type:
        match = HEADER_CHARSET.search(content_type)
        if match and (codec := _codec(match.group(1))):
            return codec
    match = META_CHARSET.search(body[:4096])
    if match:
        return _codec(match.group(1).decode("ascii", "ignore"))
    return None


def looks_binary(body: bytes) -> bool:
    """True for bytes that are not a text document (images, archives, executables)."""
    head = body[:8192]
    if not head:
        return False
    if head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")):
        return True
    return len(CONTROL_BYTES.findall(head)) / len(head) > 0.05


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page to text; returns (text, encoding used). Raises DecodeError with a reason."""
    if not body.strip():
        raise DecodeError("empty_file", "the page has no content")
    if looks_binary(body):
        raise DecodeError("binary_content", "the bytes are not a text document")
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    declared = declared_charset(body, content_type)
    if declared:
        text = body.decode(declared, "replace")
        encoding = declared
    else:
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            best = from_bytes(body[:200_000]).best()
            if best is None:
                raise DecodeError("encoding_error", "no character encoding fits the bytes") from None
            encoding = best.encoding
            text = body.decode(encoding, "replace")
    if text.count("\ufffd") > MAX_REPLACEMENT_SHARE * max(len(text), 1):
        raise DecodeError(
            "encoding_error", f"the bytes are not valid {encoding} ({text.count(chr(0xFFFD))} bad sequences)"
        )
    return text.replace("\x00", ""), encoding
