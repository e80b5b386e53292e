"""robots.txt rules of one host: what may be fetched and how slowly (RFC 9309 semantics)."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

# RFC 9309 asks crawlers to parse at least 500 KiB of a robots.txt; more is not read.
MAX_ROBOTS_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one origin, or what to assume when there are none.

    ``state`` is 'rules' (a parsed file), 'allow_all' (no file: a 4xx answer) or 'unavailable'
    (5xx, 429 or no answer). RFC 9309 says an unreachable robots.txt means full disallow, so
    'unavailable' blocks the host for this run only; it is never cached between runs.
    """

    state: str
    parser: Protego | None = None

    @classmethod
    def parse(cls, body: bytes) -> RobotsRules:
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
        return cls("rules", Protego.parse(text))

    def allowed(self, url: str, user_agent: str) -> bool:
        """True when ``url`` may be fetched by ``user_agent`` (the token before '/' is matched)."""
        if self.state == "allow_all":
            return True
        if self.state == "unavailable" or self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        """Seconds asked between requests, if the file says so for this agent (or '*')."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        if delay is None:
            rate = self.parser.request_rate(user_agent)
            if rate is not None and rate.requests:
                return float(rate.seconds) / float(rate.requests)
            return None
        return float(delay)


ALLOW_ALL = RobotsRules("allow_all")
UNAVAILABLE = RobotsRules("unavailable")


def robots_url(scheme: str, netloc: str) -> str:
    """Where the robots.txt of an origin lives."""
    return f"{scheme}://{netloc}/robots.txt"
