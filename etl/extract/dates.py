"""Publication date of a page: structured sources first, URL and htmldate heuristics after."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser
from htmldate import find_date
from htmldate.extractors import try_date_expr
from lxml.html import HtmlElement

logging.getLogger("htmldate").setLevel(logging.ERROR)

EARLIEST = date(1990, 1, 1)
ISO_LIKE = re.compile(
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:(?:T|\s+|\s*\|\s*|,\s*)(?P<H>\d{1,2})[:h](?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2}(?!\d))?",
    re.IGNORECASE,
)
COMPACT_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?:T?\d{4,6})?$")
JS_DATE = re.compile(
    r"^\w{3}\s+(?P<mon>\w{3})\s+(?P<d>\d{1,2})\s+(?P<y>\d{4})\s+"
    r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})\s+GMT(?P<tz>[+-]\d{4})"
)
CJK_DATE = re.compile(r"(?P<y>\d{4})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})\s*[日일]")
FOUR_DIGITS = re.compile(r"\d{4}")
EPOCH = re.compile(r"^1\d{9}(?:\d{3})?$")
URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<sep>[/_-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?:[/_.-]|$)")
URL_COMPACT_DATE = re.compile(
    r"[/_-](?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?:[/_.-]|$)"
)
MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {m: i for i, m in enumerate(MONTH_ABBREVIATIONS, 1)}
# "13 Jan 2020, 22:11 GMT+10" / "Jan 13, 2020 10:11 PM UTC-5": a text date whose time carries its offset.
TEXT_STAMP = re.compile(
    r"(?:(?P<d1>\d{1,2})\s+(?P<mon1>[A-Za-z]{3})[a-z]*\.?|(?P<mon2>[A-Za-z]{3})[a-z]*\.?\s+(?P<d2>\d{1,2}),?)"
    r"\s+(?P<y>\d{4}),?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?:GMT|UTC)\s*(?P<tz>[+-]\d{1,2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
# Searching the text of these widths (1990 to far ahead) lets htmldate's parser judge any date.
TEXT_DATE_RANGE = (datetime(1990, 1, 1), datetime(2100, 1, 1))
# How far around the headline (in text pieces, document order) a printed date belongs to the article.
HEADLINE_PIECES_AFTER = 30
HEADLINE_PIECE_MAX_CHARS = 100
# A modification this much later than the publication is an update, not a same-day correction.
UPDATE_GAP = timedelta(hours=12)

# <meta> keys naming the first publication, most trusted first; and keys naming a modification.
META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "article:published", "og:published_time",
    "datepublished", "publishdate", "publish-date", "publish_date", "publication_date", "pubdate",
    "article.published", "article_date_original", "original-publish-date", "sailthru.date",
    "parsely-pub-date", "cxenseparse:recs:publishtime", "dc.date.issued", "dcterms.issued", "article:post_date",
)
# Keys that say only "a date" (Dublin Core's generic date, a CMS's "date"/"created"): a <time> element
# marked as the publication outranks them (class: CMS templates that fill dc.date / date with the
# page's creation in the system, while the article prints its own date, seen on several sites).
META_GENERIC = ("dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "date", "created")
META_MODIFIED = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified", "dc.date.modified",
    "dcterms.modified", "last-modified", "lastmod", "updated_time",
)
PUBLISHED_CLASS = re.compile(r"publish|posted|created|date-?time|byline|timestamp|article-?date|entry-?date", re.I)
UPDATED_CLASS = re.compile(r"updat|modif|edited", re.I)

# Sites on these country domains live in one time zone: a bare UTC stamp is shown to their readers
# (and filed by the publisher) on that zone's calendar day.
COUNTRY_ZONES = {
    "it": "Europe/Rome", "de": "Europe/Berlin", "fr": "Europe/Paris", "es": "Europe/Madrid", "nl": "Europe/Amsterdam",
    "be": "Europe/Brussels", "at": "Europe/Vienna", "ch": "Europe/Zurich", "pl": "Europe/Warsaw", "cz": "Europe/Prague",
    "se": "Europe/Stockholm", "no": "Europe/Oslo", "dk": "Europe/Copenhagen", "fi": "Europe/Helsinki",
    "gr": "Europe/Athens", "ro": "Europe/Bucharest", "hu": "Europe/Budapest", "tr": "Europe/Istanbul",
    "ua": "Europe/Kyiv", "il": "Asia/Jerusalem", "eg": "Africa/Cairo", "jp": "Asia/Tokyo", "kr": "Asia/Seoul",
    "cn": "Asia/Shanghai", "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong", "in": "Asia/Kolkata", "pk": "Asia/Karachi",
    "bd": "Asia/Dhaka", "th": "Asia/Bangkok", "vn": "Asia/Ho_Chi_Minh", "ph": "Asia/Manila", "sg": "Asia/Singapore",
    "my": "Asia/Kuala_Lumpur", "az": "Asia/Baku", "ir": "Asia/Tehran", "sa": "Asia/Riyadh", "ae": "Asia/Dubai",
    "ng": "Africa/Lagos", "ke": "Africa/Nairobi", "za": "Africa/Johannesburg", "nz": "Pacific/Auckland",
    "ar": "America/Argentina/Buenos_Aires", "cl": "America/Santiago", "co": "America/Bogota", "pe": "America/Lima",
    "pt": "Europe/Lisbon", "ie": "Europe/Dublin", "uk": "Europe/London",
}


@dataclass(frozen=True)
class Stamp:
    """A parsed date: the day, and the instant when the source gave a time with an offset."""

    day: date
    instant: datetime | None = None  # timezone-aware, in the offset the source used

    @property
    def precision(self) -> str:
        return "time" if self.instant is not None else "day"


@dataclass(frozen=True)
class DateFinding:
    """What the page says about when it was published (and modified), and where that came from."""

    published: Stamp | None = None
    modified: datetime | None = None
    source: str | None = None


def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    text = text.upper()
    if text in {"Z", "UTC", "GMT"}:
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(
    y: int, m: int, d: int, hh: str | None = None, mm: str | None = None, ss: str | None = None,
    tz: tzinfo | None = None,
) -> Stamp | None:
    try:
        day = date(y, m, d)
        if hh is None or tz is None:
            return Stamp(day)
        return Stamp(day, datetime(y, m, d, int(hh), int(mm or 0), int(ss or 0), tzinfo=tz))
    except ValueError:
        return None


def parse_date(value: Any) -> Stamp | None:
    """A date from the many ways pages write one (ISO-like, compact, RFC 2822, JS, epoch, free text).

    Times without an offset keep only their day: the instant is unknowable, the day is the
    publisher's own. Returns None for anything that is not a date.
    """
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > 80:
        return None
    if match := ISO_LIKE.search(text):
        tz = _offset(match["tz"])
        return _build(int(match["y"]), int(match["m"]), int(match["d"]), match["H"], match["M"], match["S"], tz)
    if match := COMPACT_DATE.match(text):
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    if match := CJK_DATE.search(text):
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    if (match := JS_DATE.match(text)) and (month := MONTHS.get(match["mon"].lower())):
        return _build(int(match["y"]), month, int(match["d"]), match["H"], match["M"], match["S"], _offset(match["tz"]))
    if EPOCH.match(text):
        seconds = int(text[:10])
        return Stamp(datetime.fromtimestamp(seconds, UTC).date(), datetime.fromtimestamp(seconds, UTC))
    try:
        parsed = parsedate_to_datetime(text)
        if parsed.tzinfo is not None:
            return Stamp(parsed.date(), parsed)
        return Stamp(parsed.date())
    except (TypeError, ValueError, IndexError):
        pass
    if not FOUR_DIGITS.search(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names ("IST") only lose the offset
            parsed = dateutil_parser.parse(text, fuzzy=False, default=datetime(1, 1, 1))
    except (ValueError, OverflowError):
        # month names in other languages ("06 Dicembre 2020", "15 октября 2020"): htmldate's parser
        found = try_date_expr(text, "%Y-%m-%d", True, *TEXT_DATE_RANGE)
        return Stamp(date.fromisoformat(found)) if found else None
    if parsed.year < 1900:
        return None
    if parsed.tzinfo is not None and (parsed.hour or parsed.minute):
        return Stamp(parsed.date(), parsed)
    return Stamp(parsed.date())


def plausible(stamp: Stamp | None, now: datetime) -> bool:
    """Dates before 1990 or after tomorrow are errors (copyright years, event dates, placeholders)."""
    if stamp is None:
        return False
    return EARLIEST <= stamp.day <= (now + timedelta(days=1)).date()


def url_date(url: str) -> date | None:
    """The day written in a URL path (/2020/06/07/, /2020-06-07-, /20200607/), if any."""
    path = urlsplit(url).path
    for pattern in (URL_DATE, URL_COMPACT_DATE):
        if match := pattern.search(path):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
    return None


def local_instant(instant: datetime, url: str) -> datetime:
    """A UTC stamp of a site on a one-zone country domain, shown in that zone (the same instant)."""
    if instant.utcoffset() != timedelta(0):
        return instant
    host = (urlsplit(url).hostname or "").lower()
    zone = COUNTRY_ZONES.get(host.rsplit(".", 1)[-1])
    return instant.astimezone(ZoneInfo(zone)) if zone else instant


def _first_plausible(values: Iterable[Any], now: datetime) -> Stamp | None:
    found = [s for s in (parse_date(v) for v in values) if s is not None and plausible(s, now)]
    if not found:
        return None
    # the earliest of what the sources call "published" (later ones are often re-publications)
    return min(found, key=lambda s: (s.day, s.instant is None))


def _ld_values(articles: list[dict[str, Any]], key: str) -> list[Any]:
    return [a.get(key) for a in articles if a.get(key)]


def _time_elements(tree: HtmlElement) -> tuple[list[str], list[str]]:
    """datetime values of <time> and itemprop elements: (published-looking, any)."""
    published: list[str] = []
    generic: list[str] = []
    for node in tree.xpath("//*[@itemprop='datePublished' or @itemprop='dateCreated'][not(self::meta)]"):
        value = node.get("datetime") or node.get("content") or " ".join(node.itertext()).strip()
        if value:
            published.append(value)
    for node in tree.iter("time"):
        value = node.get("datetime")
        if not value:
            continue
        parent = node.getparent()
        parent_class = parent.get("class", "") if parent is not None else ""
        hints = f"{node.get('class', '')} {node.get('itemprop', '')} {parent_class}"
        if UPDATED_CLASS.search(hints):
            continue
        if node.get("pubdate") is not None or PUBLISHED_CLASS.search(hints):
            published.append(value)
        else:
            generic.append(value)
    return published, generic


def parse_text_stamp(text: str) -> Stamp | None:
    """A printed date with time and GMT/UTC offset ("13 Jan 2020, 22:11 GMT+10"), English month names."""
    match = TEXT_STAMP.search(text)
    if not match:
        return None
    month = MONTHS.get((match["mon1"] or match["mon2"]).lower())
    if month is None:
        return None
    hour = int(match["H"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    tz_text = match["tz"]
    if tz_text:
        sign, digits = tz_text[0], tz_text[1:].replace(":", "")
        tz_text = sign + (digits[:-2].zfill(2) + digits[-2:] if len(digits) > 2 else digits.zfill(2) + "00")
    day = int(match["d1"] or match["d2"])
    return _build(int(match["y"]), month, day, str(hour), match["M"], "0", _offset(tz_text or "Z"))


def _headline_node(tree: HtmlElement, headlines: Iterable[str]) -> HtmlElement | None:
    """The heading element showing the headline; the most specific (longest) headline form first."""
    wanted = sorted({h for h in (_norm(x) for x in headlines) if h}, key=len, reverse=True)
    nodes = [(node, _norm(" ".join(node.itertext()))) for node in tree.iter("h1", "h2", "h3")]
    for title in wanted:
        for node, text in nodes:
            if text and (text == title or (len(text) > 15 and text in title)):
                return node
    return next(tree.iter("h1"), None)


def _norm(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _after(node: HtmlElement) -> Iterator[HtmlElement]:
    """The elements after ``node``'s start tag in document order (its descendants, then what follows)."""
    yield from node.iterdescendants()
    current: HtmlElement | None = node
    while current is not None:
        for sibling in current.itersiblings():
            yield sibling
            yield from sibling.iterdescendants()
        current = current.getparent()


def headline_date(tree: HtmlElement, headlines: Iterable[str], now: datetime) -> Stamp | None:
    """The first date printed just below the headline (where bylines put it), before page furniture.

    Sidebars and page headers print other dates (today's, related stories'); the one next to the
    headline is the article's.
    """
    node = _headline_node(tree, headlines)
    if node is None:
        return None
    pieces: list[str] = []
    for element in _after(node):
        if not isinstance(element.tag, str) or element.tag in {"script", "style", "noscript"}:
            continue
        texts = (element.get("datetime"), element.get("title"), element.text, element.tail)
        pieces.extend(t.strip() for t in texts if t and t.strip())
        if len(pieces) >= HEADLINE_PIECES_AFTER:
            break
    low, high = TEXT_DATE_RANGE[0], now.replace(tzinfo=None) + timedelta(days=1)
    for piece in pieces[:HEADLINE_PIECES_AFTER]:
        if len(piece) > HEADLINE_PIECE_MAX_CHARS:
            continue
        stamp = parse_text_stamp(piece)
        if stamp is None:
            found = try_date_expr(piece, "%Y-%m-%d", False, low, high)
            stamp = parse_date(found) if found else None
        if plausible(stamp, now):
            return stamp
    return None


def _htmldate(tree: HtmlElement, url: str, now: datetime) -> Stamp | None:
    try:
        found = find_date(
            tree,
            url=url,
            original_date=True,
            extensive_search=True,
            outputformat="%Y-%m-%dT%H:%M:%S%z",
            min_date=datetime(1990, 1, 1),
            max_date=now.replace(tzinfo=None) + timedelta(days=1),
        )
    except (ValueError, TypeError, OverflowError):
        return None
    stamp = parse_date(found)
    if stamp is not None and stamp.instant is not None and not (stamp.instant.hour or stamp.instant.minute):
        return Stamp(stamp.day)
    return stamp


def find_published(
    tree: HtmlElement,
    url: str,
    meta: Mapping[str, str],
    articles: list[dict[str, Any]],
    entry: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    headlines: Iterable[str] = (),
    other_urls: Iterable[str] = (),
) -> DateFinding:
    """The publication date from JSON-LD, <meta>, <time>, the URL, a feed entry, then htmldate.

    ``articles`` are the page's JSON-LD articles, its own first (see metadata.main_article).

    The first source (in that order of trust) with a plausible date wins, but a day in the URL
    overrules a structured date more than a day away from it (sites stamp updates as "published").
    A day-only answer borrows the time of a later source when their days agree.
    """
    now = now or datetime.now(UTC)
    entry = entry or {}
    published_nodes, generic_times = _time_elements(tree)
    # the page's URL, else its canonical URL: both name the article itself, unlike links on it
    in_url = next((d for d in (url_date(u) for u in (url, *other_urls)) if d), None)
    sources: list[tuple[str, Stamp | None]] = [
        ("json-ld", _first_plausible(_ld_values(articles[:1], "datePublished"), now)),
        ("meta", _first_plausible((meta[k] for k in META_PUBLISHED if meta.get(k)), now)),
        ("time", _first_plausible(published_nodes, now)),
        # the first <time datetime> the page prints, above a generic "date" meta (see META_GENERIC)
        ("time-first", _first_plausible(generic_times[:1], now)),
        ("meta-generic", _first_plausible((meta[k] for k in META_GENERIC if meta.get(k)), now)),
        ("json-ld-other", _first_plausible(_ld_values(articles[1:], "datePublished"), now)),
        ("json-ld-created", _first_plausible(_ld_values(articles, "dateCreated"), now)),
    ]
    if in_url and EARLIEST <= in_url <= now.date():
        sources.append(("url", Stamp(in_url)))
    sources.append(("feed", _first_plausible([entry.get("published")], now)))
    sources.append(("time-any", _first_plausible(generic_times[:1], now)))
    found = [(name, s) for name, s in sources if s is not None]
    chosen: tuple[str, Stamp] | None = None
    for name, stamp in found:
        if in_url and name != "url" and abs((stamp.day - in_url).days) > 1:
            continue
        chosen = (name, stamp)
        break
    if chosen is None and (in_headline := headline_date(tree, headlines, now)) is not None:
        chosen = ("headline", in_headline)
        found.append(chosen)
    if chosen is None:
        guessed = _htmldate(tree, url, now)
        if guessed is not None and plausible(guessed, now):
            chosen = ("htmldate", guessed)
    modified = _first_plausible(
        [*_ld_values(articles[:1], "dateModified"), *(meta[k] for k in META_MODIFIED if meta.get(k))], now
    )
    if chosen is None:
        return DateFinding(None, modified.instant if modified else None, None)
    name, stamp = chosen
    if name not in {"headline", "url"} and not _live_blog(articles) and not _live_keywords(meta):
        name, stamp = _shown_date(tree, headlines, now, name, stamp, modified)
    if stamp.instant is None:
        # a day alone: take the time from any other source that agrees on the day
        for _other, candidate in found:
            if candidate.instant is not None and candidate.day == stamp.day:
                stamp = candidate
                break
    if stamp.instant is not None and stamp.instant.utcoffset() == timedelta(0):
        # the same instant stated elsewhere in the publisher's own offset reads as their calendar
        same = (c.instant for _n, c in found if c.instant is not None and c.instant == stamp.instant)
        own = next((instant for instant in same if instant.utcoffset()), None)
        if own is None:
            # Class: JSON-LD that writes the local clock time with a "Z" while <meta> gives the same
            # clock time with the right offset (seen on European and Asian news sites): the offset
            # stated by the other source is the true one.
            clock = stamp.instant.replace(tzinfo=None)
            own = next((c.instant for _n, c in found if c.instant is not None and c.instant.utcoffset()
                        and c.instant.replace(tzinfo=None) == clock), None)
        stamp = Stamp(own.date(), own) if own else stamp
    if stamp.instant is not None:
        local = local_instant(stamp.instant, url)
        stamp = Stamp(local.date(), local)
    if stamp.instant is not None and in_url and stamp.day != in_url and stamp.instant.utcoffset() == timedelta(0):
        # Class: a UTC stamp of a site west (or east) of Greenwich, whose URL carries the local day
        # (US Central/Pacific evening stories land on the next UTC day): shown in the nearest whole-hour
        # offset that puts it on the URL's day.
        shifted = _on_day(stamp.instant, in_url)
        stamp = Stamp(shifted.date(), shifted) if shifted else stamp
    return DateFinding(stamp, modified.instant if modified else None, name)


def _shown_date(
    tree: HtmlElement, headlines: Iterable[str], now: datetime, name: str, stamp: Stamp, modified: Stamp | None
) -> tuple[str, Stamp]:
    """The date printed under the headline when it is later than the declared one (and not past its update).

    Classes: pages that print their update date under the headline as the story's date and
    declare it as dateModified (news and magazine sites in several countries): the declared
    modification is the reader's date. And CMS pages whose declared date is the page's creation in
    the system, days before the date they print (several organisation and magazine sites). Not for
    a live blog, whose shown date is its latest entry; not for a same-evening correction (under
    UPDATE_GAP); never past the declared modification.
    """
    shown = headline_date(tree, headlines, now)
    if shown is None or shown.day <= stamp.day:
        return name, stamp
    if modified is not None and shown.day in _days_of(modified):
        return ("modified-shown", modified) if _updated_later(stamp, modified) else (name, stamp)
    if modified is None or shown.day <= modified.day:
        return "shown", shown
    return name, stamp


def _updated_later(stamp: Stamp, modified: Stamp | None) -> bool:
    """A modification on a later day, and (when both have a time) at least UPDATE_GAP later."""
    if modified is None or modified.day <= stamp.day:
        return False
    if stamp.instant is not None and modified.instant is not None:
        return modified.instant - stamp.instant >= UPDATE_GAP
    return True


def _live_blog(articles: list[dict[str, Any]]) -> bool:
    kinds = articles[0].get("@type") if articles else None
    return any(k == "LiveBlogPosting" for k in (kinds if isinstance(kinds, list) else [kinds]))


# A keyword naming the page a live blog or ticker ("Live", "Liveblog", "Liveticker", "Live updates").
LIVE_KEYWORD = re.compile(r"^live(?:[\s-]?(?:blog|ticker|updates?|news))?$", re.IGNORECASE)
KEYWORD_METAS = ("news_keywords", "keywords")


def _live_keywords(meta: Mapping[str, str]) -> bool:
    """True when the page's keywords call it a live page.

    Class: live blogs and tickers declared as a plain NewsArticle that say what they are in their
    keywords ("..., Live, International" on a Swiss paper; "Covid-19, Liveblog, ..." on a
    Portuguese one): like a LiveBlogPosting, their shown date is their latest entry, not the
    story's date.
    """
    return any(
        LIVE_KEYWORD.match(word.strip()) for key in KEYWORD_METAS for word in (meta.get(key) or "").split(",")
    )


def _days_of(stamp: Stamp) -> set[date]:
    """The day of a stamp as written, and in UTC."""
    if stamp.instant is None:
        return {stamp.day}
    return {stamp.day, stamp.instant.astimezone(UTC).date()}


def _on_day(instant: datetime, day: date) -> datetime | None:
    """The instant in the whole-hour offset closest to UTC (-12 to +14 h) that falls on ``day``."""
    for hours in sorted(range(-12, 15), key=abs):
        local = instant.astimezone(timezone(timedelta(hours=hours)))
        if local.date() == day:
            return local
    return None
