"""One identity per story: URL canonicalization and the url_hash made from it."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|ocid|cmpid|icid|ns_source|ns_mchannel|ns_campaign|ns_linkname|ns_fee|"
    r"sr_share|smid|ref_src|s_cid|mkt_tok|_hsenc|_hsmi|hsctatracking|vero_id|vero_conv|"
    r"oly_enc_id|oly_anon_id|rb_clickid|s_kwcid|xtor|at_medium|at_campaign|at_custom\d*|"
    r"wt\.mc_id|twclid|ttclid|li_fat_id|__twitter_impression|jsessionid|phpsessid|sessionid)$",
    re.IGNORECASE,
)
# ;jsessionid=... and friends glued to the path by Java and PHP servers.
PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters a URL cannot carry raw (controls, space, non-ASCII): sent as %-escaped UTF-8.
UNSAFE_CHAR = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 unreserved characters: their %-escapes mean the character itself.
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalize_escapes(component: str) -> str:
    """Escape raw unsafe characters as UTF-8, uppercase %-escapes, decode unreserved ones (%7E -> ~)."""
    component = UNSAFE_CHAR.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), component)

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else "%" + match.group(1).upper()

    return PERCENT_ESCAPE.sub(fix, component)


def _normalize_path(path: str) -> str:
    """RFC 3986 remove_dot_segments; an empty path becomes '/'. Slashes are otherwise kept."""
    if not path:
        return "/"
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    normalized = "/".join(output)
    return normalized if normalized.startswith("/") else "/" + normalized


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return host


def _query(query: str) -> str:
    """Drop tracking parameters and sort the rest, keeping each pair's own encoding."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote(pair.split("=", 1)[0].replace("+", " "))
        if TRACKING_PARAM.match(key):
            continue
        kept.append(_normalize_escapes(pair))
    return "&".join(sorted(kept))


def canonicalize_url(url: str, base: str | None = None) -> str:
    """Normalize a URL so that variants of one page compare equal.

    Resolves it against ``base``, lowercases scheme and host (IDN hosts become punycode),
    drops default ports, user info, fragments, session ids and tracking parameters, sorts
    the remaining query, removes dot segments and normalizes %-escapes. ``file:`` URLs keep
    their path. Only changes that cannot change the page served are made: path case and
    trailing slashes are kept.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return urlunsplit(("file", "", parts.path, "", ""))
    if scheme not in DEFAULT_PORTS:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    host = _host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = _normalize_path(_normalize_escapes(PATH_SESSION.sub("", parts.path)))
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs share a registrable-looking host (www. ignored, subdomains allowed)."""
    a = (urlsplit(url_a).hostname or "").lower().removeprefix("www.")
    b = (urlsplit(url_b).hostname or "").lower().removeprefix("www.")
    if not a or not b:
        return urlsplit(url_a).scheme == urlsplit(url_b).scheme == "file"
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def host_of(url: str) -> str:
    """The politeness key of a URL: its lowercase host name ('' for local files)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # an unbalanced IPv6 bracket: no host to be polite to
        return ""


def url_hash(url: str) -> str:
    """sha256 hex of the canonical form of ``url``: the key of a story everywhere."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()
