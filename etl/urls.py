"""One identity per story: URL canonicalization and the url_hash made from it."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|ocid|cmpid|icid|ns_source|ns_mchannel|ns_campaign|ns_linkname|ns_fee|"
    r"sr_share|smid|ref_src|s_cid|mkt_tok)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize_url(url: str, base: str | None = None) -> str:
    """Normalize a URL so that variants of one page compare equal.

    Resolves it against ``base``, lowercases scheme and host, drops default ports, fragments
    and tracking parameters, and sorts the remaining query. ``file:`` URLs keep their path.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return urlunsplit(("file", "", parts.path, "", ""))
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host
    if parts.username:
        netloc = parts.username + "@" + netloc
    if port and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAM.match(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs share a registrable-looking host (www. ignored, subdomains allowed)."""
    a = (urlsplit(url_a).hostname or "").lower().removeprefix("www.")
    b = (urlsplit(url_b).hostname or "").lower().removeprefix("www.")
    if not a or not b:
        return urlsplit(url_a).scheme == urlsplit(url_b).scheme == "file"
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def url_hash(url: str) -> str:
    """sha256 hex of the canonical form of ``url``: the key of a story everywhere."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()
