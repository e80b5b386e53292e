"""The sources file: which feeds, sitemaps, URL lists and folders the pipeline reads, and a run's choice of them."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from etl.records import SourceKind, SourceSpec

SOURCE_KINDS = tuple(kind.value for kind in SourceKind)
# A sources file of 12,000 sources is ~1 MB (parsed in well under a second with libyaml); a 10 MB one ran
# minutes at ~1 GB of memory. Larger files are refused before they are parsed.
MAX_SOURCES_FILE_BYTES = 1_000_000
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe subset, in C when libyaml is there
# What the trigger form may name unless the operator allows local sources: documents at http(s) URLs.
REMOTE_KINDS = (SourceKind.FEED, SourceKind.SITEMAP, SourceKind.URLS)


class SourcesFileError(ValueError):
    """The sources file is missing or malformed; the message names the file and the fix."""


def load_sources(path: Path) -> list[SourceSpec]:
    """Read a YAML sources file: ``sources: [{name, kind, location, ...options}]``.

    Relative local locations are resolved against the file's folder, so a sources file
    can travel with its corpus.
    """
    try:
        raw = yaml.load(_read_text(Path(path)), Loader=_LOADER)  # noqa: S506 - a safe loader
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


def _read_text(path: Path) -> str:
    """The text of a sources file: a regular UTF-8 file of at most MAX_SOURCES_FILE_BYTES, else SourcesFileError."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SourcesFileError(f"sources file {path} is a folder; pass --sources FILE (a YAML file)")
        if not stat.S_ISREG(info.st_mode):
            raise SourcesFileError(f"sources file {path} is not a regular file; pass --sources FILE (a YAML file)")
        if info.st_size > MAX_SOURCES_FILE_BYTES:
            raise SourcesFileError(f"sources file {path} is {info.st_size} bytes, over the limit of "
                                   f"{MAX_SOURCES_FILE_BYTES} bytes; split it into several files")
        with path.open("rb") as stream:
            data = stream.read(MAX_SOURCES_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise SourcesFileError(f"sources file {path} does not exist; pass --sources FILE") from exc
    except OSError as exc:
        raise SourcesFileError(f"sources file {path} cannot be read ({exc.strerror or exc}); "
                               "pass --sources FILE") from exc
    if len(data) > MAX_SOURCES_FILE_BYTES:
        raise SourcesFileError(f"sources file {path} is over the limit of {MAX_SOURCES_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourcesFileError(f"sources file {path} is not UTF-8 text (byte {exc.start}); "
                               "pass --sources FILE (a YAML file)") from exc


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
    sources_file: Path, names: Sequence[str], extra: Sequence[dict[str, Any]] = (), *, allow_local: bool = False
) -> list[SourceSpec]:
    """The sources of one run: those named from the file (all when none) plus ad-hoc ones.

    Ad-hoc sources come from whoever may trigger a run (the DAG's trigger form), not from the operator who
    writes the sources file: they must be feeds, sitemaps or URL lists at http(s) URLs unless
    ``allow_local`` (NEWSETL_ADHOC_LOCAL_SOURCES), and may not take the name of a source of the file (its
    row, kind and location would be overwritten).
    """
    file_specs = load_sources(sources_file) if (names or not extra or Path(sources_file).exists()) else []
    specs = select_sources(file_specs, names) if (names or not extra) else []
    taken = {s.name for s in file_specs} | {s.name for s in specs}
    base = Path(sources_file).expanduser().absolute().parent
    for index, entry in enumerate(extra, 1):
        spec = _ad_hoc(entry, index, base, allow_local)
        if spec.name in taken:
            raise SourcesFileError(f"ad-hoc source {index}: the name {spec.name!r} is already used by the sources "
                                   "file or another ad-hoc source; choose another name")
        taken.add(spec.name)
        specs.append(spec)
    return specs


def _ad_hoc(entry: Any, index: int, base: Path, allow_local: bool) -> SourceSpec:
    where = f"ad-hoc source {index}"
    if not isinstance(entry, dict) or not all(entry.get(key) for key in ("name", "kind", "location")):
        raise SourcesFileError(f"{where}: expected a mapping with name, kind and location")
    kind = source_kind(entry["kind"], where)
    location = str(entry["location"])
    remote = urlsplit(location).scheme.lower() in ("http", "https")
    if not allow_local and not (kind in REMOTE_KINDS and remote):
        what = f"kind {kind}" if kind not in REMOTE_KINDS else f"location {location[:200]!r}"
        raise SourcesFileError(
            f"{where} ({entry['name']}): {what} reads files of the worker; the trigger form takes only feeds, "
            "sitemaps and URL lists at http(s) URLs (an operator can allow local ones: NEWSETL_ADHOC_LOCAL_SOURCES=1, "
            "still confined to NEWSETL_FILES_ROOTS)")
    if not remote and "://" not in location:  # allowed local path: relative to the sources file's folder
        candidate = Path(location).expanduser()
        location = str(candidate if candidate.is_absolute() else (base / candidate))
    options = {k: v for k, v in entry.items() if k not in ("name", "kind", "location")}
    return SourceSpec(name=str(entry["name"]), kind=kind, location=location, options=options)
