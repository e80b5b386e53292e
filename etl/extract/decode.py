"""Bytes to text: charset from headers, then <meta>, then detection; binary and garbage refused."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from etl.sniff import looks_binary

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.IGNORECASE)
# Share of U+FFFD replacement characters above which a decoded page is garbage.
MAX_REPLACEMENT_SHARE = 0.01
# Labels browsers decode with a superset codec (WHATWG Encoding Standard): pages declaring the
# narrow one routinely use the wider one's characters.
BROWSER_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}


class DecodeError(ValueError):
    """The bytes are not text we can use; ``reason`` is the machine-readable reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return BROWSER_SUPERSETS.get(codec, codec)


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset a Content-Type header or the page's first <meta> declares, if valid."""
    if content_type:
        match = HEADER_CHARSET.search(content_type)
        if match and (codec := _codec(match.group(1))):
            return codec
    meta = META_CHARSET.search(body[:4096])
    if meta:
        return _codec(meta.group(1).decode("ascii", "ignore"))
    return None


def _too_broken(text: str) -> bool:
    return text.count("\ufffd") > MAX_REPLACEMENT_SHARE * max(len(text), 1)


def _detect(body: bytes) -> str | None:
    best = from_bytes(body[:200_000]).best()
    return _codec(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page to text; returns (text, encoding used). Raises DecodeError with a reason."""
    if not body.strip():
        raise DecodeError("empty_file", "the page has no content")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # a byte order mark settles the encoding (UTF-16 is full of NUL bytes: check it before binary)
        text = body.decode("utf-16", "replace")
        if not _too_broken(text):
            return text.replace("\x00", ""), "utf-16"
    if looks_binary(body):
        raise DecodeError("binary_content", "the bytes are not a text document")
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    declared = declared_charset(body, content_type)
    if declared and declared != "utf-8" and not body.isascii():
        # Declarations are often a template's leftover; non-ASCII bytes that are valid UTF-8 are
        # UTF-8 (text in a legacy 8-bit or CJK codec practically never validates as UTF-8).
        try:
            return body.decode("utf-8").replace("\x00", ""), "utf-8"
        except UnicodeDecodeError:
            pass
    if declared:
        text = body.decode(declared, "replace")
        encoding = declared
        if _too_broken(text):
            # the declaration is wrong: let detection have a go before giving up
            detected = _detect(body)
            if detected and not _too_broken(alternative := body.decode(detected, "replace")):
                text, encoding = alternative, detected
    else:
        try:
            return body.decode("utf-8").replace("\x00", ""), "utf-8"
        except UnicodeDecodeError:
            detected = _detect(body)
            if detected is None:
                raise DecodeError("encoding_error", "no character encoding fits the bytes") from None
            encoding = detected
            text = body.decode(encoding, "replace")
    if _too_broken(text):
        raise DecodeError(
            "encoding_error", f"the bytes are not valid {encoding} ({text.count(chr(0xFFFD))} bad sequences)"
        )
    return text.replace("\x00", ""), encoding
