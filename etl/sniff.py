"""What bytes look like before anything parses them: a text document, or binary content."""

from __future__ import annotations

import re

CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def looks_binary(body: bytes) -> bool:
    """True for bytes that are not a text document (images, archives, executables)."""
    head = body[:8192]
    if not head:
        return False
    if head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")):
        return True
    return len(CONTROL_BYTES.findall(head)) / len(head) > 0.05
