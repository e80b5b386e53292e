"""The sources file: which feeds, sitemaps, URL lists and folders the pipeline reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from etl.records import SourceSpec

SOURCE_KINDS = ("files", "urls", "feed", "sitemap", "warc")


class SourcesFileError(ValueError):
    """The sources file is missing or malformed; the message names the file and the fix."""


def load_sources(path: Path) -> list[SourceSpec]:
    """Read a YAML sources file: ``sources: [{name, kind, location, ...options}]``.

    Relative local locations are resolved against the file's folder, so a sources file
    can travel with its corpus.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesFileError(f"sources file {path} does not exist; pass --sources FILE") from exc
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"sources file {path} is not valid YAML: {exc}") from exc
    entries = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise SourcesFileError(f"sources file {path} must hold a list under the key 'sources'")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        specs.append(_parse_entry(entry, index, Path(path).resolve().parent, path))
        if specs[-1].name in seen:
            raise SourcesFileError(f"sources file {path}: source name {specs[-1].name!r} appears twice")
        seen.add(specs[-1].name)
    return specs


def _parse_entry(entry: Any, index: int, base: Path, path: Path) -> SourceSpec:
    where = f"sources file {path}, entry {index}"
    if not isinstance(entry, dict):
        raise SourcesFileError(f"{where}: expected a mapping with name, kind and location")
    missing = [key for key in ("name", "kind", "location") if not entry.get(key)]
    if missing:
        raise SourcesFileError(f"{where}: missing {', '.join(missing)}")
    kind = str(entry["kind"])
    if kind not in SOURCE_KINDS:
        raise SourcesFileError(f"{where}: kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    location = str(entry["location"])
    if "://" not in location:  # a local path: relative to the sources file's folder
        candidate = Path(location).expanduser()
        location = str(candidate if candidate.is_absolute() else (base / candidate))
    options = {k: v for k, v in entry.items() if k not in ("name", "kind", "location")}
    return SourceSpec(name=str(entry["name"]), kind=kind, location=location, options=options)
