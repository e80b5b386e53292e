"""Near-duplicate stories: MinHash signatures of word 5-grams, LSH bands stored in the warehouse.

A wire story republished with another site's header, footer or a few edited sentences keeps most
of its 5-word shingles, so its MinHash signature agrees with the original's in most positions.
Signatures are cut into bands; articles sharing a band bucket are candidates, and a candidate whose
estimated Jaccard similarity reaches the threshold makes the later article a duplicate of the
earliest copy (``articles.duplicate_of``). Bands live in ``article_lsh_bands``, so a new article is
compared with the whole warehouse, not only with its batch.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from datasketch import MinHash

from etl.store.sqlfiles import sql_text

NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: a pair at Jaccard 0.7 shares a bucket with probability > 0.999
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 5
DUPLICATE_JACCARD = 0.7
DEDUP_LOCK_ID = 7_311_002  # advisory lock serializing the compare-and-store step across workers
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


@dataclass(frozen=True)
class DedupResult:
    duplicates: int


def mark_duplicates(conn: psycopg.Connection, articles: Sequence[tuple[int, str]]) -> DedupResult:
    """Store signatures and bands of (article_id, text) pairs and set ``duplicate_of``.

    Runs inside the caller's transaction, holding a lock until it commits: a copy is a duplicate of
    whatever copy reached the warehouse first (within a batch, of the one with the lower id), and
    points at that copy's root, so chains never form and a root never points at its duplicates.
    """
    conn.execute(sql_text("load/lock_dedup"), {"lock_id": DEDUP_LOCK_ID})
    duplicates = 0
    ids, roots = [], []
    for article_id, text in sorted(articles):
        sig = signature(text)
        buckets = band_buckets(sig)
        candidates = conn.execute(
            sql_text("load/find_lsh_candidates"),
            {"article_id": article_id, "bands": list(range(BANDS)), "buckets": buckets},
        ).fetchall()
        matches = [root for _cid, other, root in candidates
                   if other is not None and root != article_id
                   and estimated_jaccard(sig, np.frombuffer(other, dtype=np.uint32)) >= DUPLICATE_JACCARD]
        root = min(matches) if matches else None
        duplicates += root is not None
        conn.execute(
            sql_text("load/store_lsh_bands"),
            {"article_id": article_id, "minhash": sig.tobytes(), "bands": list(range(BANDS)), "buckets": buckets},
        )
        ids.append(article_id)
        roots.append(root)
    conn.execute(sql_text("load/set_duplicate_of"), {"article_ids": ids, "roots": roots})
    return DedupResult(duplicates=duplicates)
