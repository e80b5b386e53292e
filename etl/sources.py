"""The sources file: which feeds, sitemaps, URL lists and folders the pipeline reads, and a run's choice of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from etl.records import SourceKind, SourceSpec

SOURCE_KINDS = tuple(kind.value for kind in SourceKind)


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


def source_kind(value: Any, where: str) -> SourceKind:
    """A kind as written in a sources file or a trigger form; anything else is an error naming the kinds."""
    try:
        return SourceKind(str(value))
    except ValueError:
        raise SourcesFileError(f"{where}: kind {value!r} is not one of {', '.join(SOURCE_KINDS)}") from None


def _parse_entry(entry: Any, index: int, base: Path, path: Path) -> SourceSpec:
    where = f"sources file {path}, entry {index}"
    if not isinstance(entry, dict):
        raise SourcesFileError(f"{where}: expected a mapping with name, kind and location")
    missing = [key for key in ("name", "kind", "location") if not entry.get(key)]
    if missing:
        raise SourcesFileError(f"{where}: missing {', '.join(missing)}")
    kind = source_kind(entry["kind"], where)
    location = str(entry["location"])
    if "://" not in location:  # a local path: relative to the sources file's folder
        candidate = Path(location).expanduser()
        location = str(candidate if candidate.is_absolute() else (base / candidate))
    options = {k: v for k, v in entry.items() if k not in ("name", "kind", "location")}
    return SourceSpec(name=str(entry["name"]), kind=kind, location=location, options=options)


def select_sources(specs: Sequence[SourceSpec], names: Sequence[str]) -> list[SourceSpec]:
    """The specs named (all when none named); an unknown name is an error naming the choices."""
    if not names:
        return list(specs)
    known = {s.name: s for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SourcesFileError(
            f"unknown source(s) {', '.join(unknown)}; the sources file lists {', '.join(known) or 'none'}"
        )
    return [known[n] for n in names]


def sources_for_run(
    sources_file: Path, names: Sequence[str], extra: Sequence[dict[str, Any]] = ()
) -> list[SourceSpec]:
    """The sources of one run: those named from the file (all when none) plus ad-hoc ones."""
    specs = select_sources(load_sources(sources_file), names) if (names or not extra) else []
    taken = {s.name for s in specs}
    for index, entry in enumerate(extra, 1):
        spec = SourceSpec(
            name=str(entry["name"]), kind=source_kind(entry["kind"], f"ad-hoc source {index}"),
            location=str(entry["location"]),
            options={k: v for k, v in entry.items() if k not in ("name", "kind", "location")},
        )
        if spec.name in taken:
            raise SourcesFileError(f"ad-hoc source name {spec.name!r} is already used")
        taken.add(spec.name)
        specs.append(spec)
    return specs
