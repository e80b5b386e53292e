"""Near-duplicate stories: MinHash signatures of word 5-grams, LSH bands stored in the warehouse.

A wire story republished with another site's header, footer or a few edited sentences keeps most
of its 5-word shingles, so its MinHash signature agrees with the original's in most positions.
Signatures are cut into bands; articles sharing a band bucket are candidates, and a candidate whose
estimated Jaccard similarity reaches the threshold makes the later article a duplicate of the
earliest copy (``articles.duplicate_of``). Bands live in ``article_lsh_bands``, so a new article is
compared with the whole warehouse, not only with its batch (``etl.store.articles.mark_duplicates``).
Exact copies share ``content_hash``. A page's :class:`Fingerprint` (content hash, signature, band
buckets) is computed where it is extracted (``etl.pipeline.process``), outside the load transaction.
Everything here is pure: no database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: a pair at Jaccard 0.7 shares a bucket with probability > 0.999
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 5
DUPLICATE_JACCARD = 0.7
WORDS = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[bytes]:
    """Word 5-grams of the casefolded, NFKC-normalized text."""
    words = WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> np.ndarray:
    """The MinHash signature of a text (uint32, NUM_PERM values; fixed seed, so stable across runs)."""
    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch(list(shingles(text)))
    return minhash.hashvalues.astype(np.uint32)


def band_buckets(sig: np.ndarray) -> list[int]:
    """One signed 64-bit bucket id per band (a hash of the band's rows)."""
    out = []
    for band in range(BANDS):
        digest = hashlib.blake2b(sig[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "big", signed=True))
    return out


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


def content_hash(text: str) -> str:
    """sha256 of the text's words, casefolded and NFKC-normalized: equal for exact duplicates."""
    normalized = " ".join(WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate marking needs of a text: its content hash, MinHash signature and band buckets."""

    content_hash: str
    minhash: bytes  # the signature: NUM_PERM uint32 values, as stored in articles.minhash
    buckets: tuple[int, ...]  # one per band, band i at position i

    @property
    def signature(self) -> np.ndarray:
        return np.frombuffer(self.minhash, dtype=np.uint32)

    def jaccard(self, other: Fingerprint | bytes) -> float:
        """Estimated Jaccard similarity with another fingerprint or a stored signature."""
        theirs = other.signature if isinstance(other, Fingerprint) else np.frombuffer(other, dtype=np.uint32)
        return estimated_jaccard(self.signature, theirs)


def fingerprint(text: str) -> Fingerprint:
    sig = signature(text)
    return Fingerprint(content_hash(text), sig.tobytes(), tuple(band_buckets(sig)))
