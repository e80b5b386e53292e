"""Discover stage: turn a source into the URLs it currently lists."""

from __future__ import annotations

import glob
from pathlib import Path

from etl.records import DiscoveredUrl, Reject, SourceSpec
from etl.settings import Settings


def discover_source(spec: SourceSpec, settings: Settings) -> tuple[list[DiscoveredUrl], list[Reject]]:
    """URLs listed by one source now, and rejects for what could not be read."""
    if spec.kind == "files":
        return _discover_files(spec)
    if spec.kind == "urls":
        return _discover_url_list(spec)
    return [], [Reject("discover", "unsupported_source_kind", spec.location, f"kind {spec.kind}")]


def _discover_files(spec: SourceSpec) -> tuple[list[DiscoveredUrl], list[Reject]]:
    pattern = spec.location
    paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    if Path(pattern).is_dir():
        paths = sorted(p for p in Path(pattern).rglob("*") if p.is_file())
    files = [p for p in paths if p.is_file()]
    if not files:
        return [], [Reject("discover", "no_files_match", pattern, "the pattern matched no file")]
    return [DiscoveredUrl(url=p.resolve().as_uri()) for p in files], []


def _discover_url_list(spec: SourceSpec) -> tuple[list[DiscoveredUrl], list[Reject]]:
    path = Path(spec.location)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Reject("discover", "unreadable_url_list", spec.location, str(exc))]
    urls = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return [DiscoveredUrl(url=url) for url in urls], []
