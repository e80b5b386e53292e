"""Bylines to people: split, strip roles and handles, title-case, dedupe, and set agencies apart."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Wire services: credited in Article.agency, never listed as authors.
AGENCIES = {
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "ap": "AP",
    "the associated press": "AP",
    "associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "bloomberg": "Bloomberg",
    "bloomberg news": "Bloomberg",
    "dpa": "dpa",
    "upi": "UPI",
    "united press international": "UPI",
    "efe": "EFE",
    "agencia efe": "EFE",
    "ansa": "ANSA",
    "xinhua": "Xinhua",
    "pa": "PA",
    "press association": "PA",
    "pa media": "PA",
    "kyodo": "Kyodo",
    "kyodo news": "Kyodo",
    "yonhap": "Yonhap",
    "tass": "TASS",
    "anadolu": "Anadolu",
    "anadolu agency": "Anadolu",
    "pti": "PTI",
    "ians": "IANS",
    "ani": "ANI",
    "apa": "APA",
    "sda": "SDA",
    "belga": "Belga",
    "aap": "AAP",
    "europa press": "Europa Press",
}
# Short agency names that open a credit like "AP Auto Writer" or "Reuters Staff".
AGENCY_FIRST_WORDS = frozenset({"ap", "afp", "reuters", "dpa", "upi", "efe", "ansa", "xinhua", "aap", "pti", "ians"})
AGENCY_DATELINE = re.compile(
    r"^[^\n]{0,80}?\((?P<agency>Reuters|AP|AFP|dpa|UPI|EFE|ANSA|Xinhua|PTI|IANS|ANI|AAP)\)\s*[-—–]"
)
TRAILING_AGENCY = re.compile(
    r"\s+(?:the\s+)?(?P<agency>associated\s+press|reuters|agence\s+france-presse|bloomberg\s+news)\s*$", re.I
)

BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:(?:written|reported|posted|story|text|words)\s+)?(?:by|von|par|por|di|door|af|av|przez|от)"
    r"|reporter|journalist|author|autor|auteur)\s*[:\s]\s*",
    re.IGNORECASE,
)
# Credits for pictures are not authorship: "Photo: Jane Doe", "Фото: ...".
PHOTO_CREDIT = re.compile(
    r"^\s*(?:photos?|photograph(?:y|s)?|pictures?|images?|fotos?|фото|video)\b\s*(?:by\b|:)", re.IGNORECASE
)
# Korean and Japanese bylines put the role after the name: "박지원 기자", "山田太郎記者".
TRAILING_ROLE = re.compile(r"\s*(?:기자|특파원|논설위원|記者|特派員)$")
# Separators between people; conjunctions only split where every side is a full name (2+ words),
# so "José Volta e Pinto" stays one person while "Ana Ruiz and Tom Becker" is two.
HARD_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\+|•|·)\s*")
CONJUNCTION = re.compile(r"\s+(?:and|und|et|y|e|i|en|og|och|și|ve|и)\s+", re.IGNORECASE)
EMAIL = re.compile(r"\S+@\S+\.\w+")
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
HANDLE = re.compile(r"(?<!\w)@\w+")
PARENTHETICAL = re.compile(r"\([^)]*\)|\[[^\]]*\]")
ROLE = re.compile(
    r"""\b(?:
      (?:(?:senior|chief|staff|special|contributing|associate|deputy|managing|executive|political|business|sports?
        |foreign|national|local|white\s+house|washington|science|health|tech(?:nology)?|entertainment|investigative
        |digital|news|web|guest|freelance|assistant|auto|economics?|climate|education|legal|security)\s+)*
      (?:writer|reporter|correspondent|editor|columnist|contributor|journalist|producer|photographer|analyst
        |critic|intern|blogger|staff|desk|team|bureau|editorial|wire\s+services?|redaktion|redacci[óo]n|r[ée]daction
        |redazione|reda[cç][ãa]o|correspondant|correspondante|journaliste|r[ée]dacteur|r[ée]dactrice|corresponsal
        |periodista|redactor|redactora|giornalista|inviato|inviata|korrespondent|korrespondentin|redakteur
        |redakteurin|redaktori|redaktor|rep[óo]rter|jornalista)s?\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
TRAILING_NOISE = re.compile(
    r"\s*\b(?i:for|at|of|with|from|in|à|en|em|aus)\s+(?i:the\s+)?[A-Z][\w.&' -]*$",
)
DATE_NOISE = re.compile(r"\s*(?:\b(?:published|updated|posted|last\s+updated)\b.*|\bon\s+\w+\s+\d.*)$", re.I)
# Names of organisations, not people: "CNN Business", "NJ Advance Media", "Telegraph Sport", "CNN.com".
ORGANISATION = re.compile(
    r"(?:\b(?:media|news|business|sports?|press|network|tv|radio|group|inc|ltd|llc|gmbh|agency|magazine|online)\.?$"
    r"|\.(?:com|net|org|co|[a-z]{2})$|株式会社|有限会社|@)",
    re.IGNORECASE,
)
NOT_A_NAME = re.compile(
    r"^(?:admin|administrator|editor|editors|staff|news\s*desk|newsroom|web\s*desk|guest|anonymous|unknown|team"
    r"|editorial(?:\s+board)?|redaktion|the\s+editors|opinion|contributor|null|none|undefined|more|more\s+from"
    r"|online|name|nama|nombre|nom|your\s+name|.*\bname\s+(?:here|required)\b.*|please\s+enter.*|\w*admin\w*)$",
    re.IGNORECASE,
)
LOWER_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "le", "la", "dos", "das", "bin", "al", "ter"}
)
MAX_NAME_WORDS = 5
# Names in scripts without spaces between given and family name are short: "新間", "王伟", "김철".
CJK_NAME = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}$")
# A credited organisation kept verbatim (class: JSON-LD/meta bylines naming the newsroom or the
# site, "DER SPIEGEL", "ORF.at", "Redaktion hessenschau.de", "読売新聞オンライン"): at most this long.
CREDIT_MAX_WORDS = 6
CREDIT_MAX_CHARS = 60
# A one-word name in capitals this short is an organisation's initials (CNN, BBC), not a person.
ACRONYM_MAX_LETTERS = 5


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _squash(text: str) -> str:
    """Letters and digits only, accents dropped, any script kept ("Коммерсантъ" does not fold to "")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


def agency_of(text: str) -> str | None:
    """The agency a string names on its own ("Reuters", "The Associated Press"), if any."""
    return AGENCIES.get(_fold(text).strip(" .-–—:"))


def agency_from_dateline(body: str) -> str | None:
    """The agency in a wire dateline at the top of the text: "WASHINGTON (AP) —", "(Reuters) -"."""
    match = AGENCY_DATELINE.match(body.lstrip())
    return AGENCIES.get(match["agency"].lower()) if match else None


def title_case(name: str) -> str:
    """Title-case a name that is all capitals or all lowercase; mixed case (McKay, DeShawn) is kept."""
    letters = [ch for ch in name if ch.isalpha()]
    if letters and not (all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)):
        return name
    words = []
    for index, word in enumerate(name.split()):
        lower = word.lower()
        if index and lower in LOWER_PARTICLES:
            words.append(lower)
            continue
        words.append("-".join("'".join(p[:1].upper() + p[1:] for p in part.split("'")) for part in lower.split("-")))
    return " ".join(words)


def _people_parts(line: str) -> list[str]:
    """A byline cut into one string per person."""
    parts: list[str] = []
    for piece in HARD_SPLIT.split(line):
        sides = CONJUNCTION.split(piece)
        if len(sides) > 1 and all(len(side.split()) >= 2 for side in sides):
            parts.extend(sides)
        else:
            parts.append(piece)
    return parts


def _clean_part(part: str) -> str:
    part = HANDLE.sub(" ", part)
    part = BYLINE_PREFIX.sub("", part)
    part = ROLE.sub(" ", part)
    part = TRAILING_NOISE.sub("", part)
    part = TRAILING_ROLE.sub("", part)
    return " ".join(part.split()).strip(" .,-–—:|·•")


def _is_name(name: str) -> bool:
    words = name.split()
    if len(words) == 1 and name.isupper() and len(name) <= ACRONYM_MAX_LETTERS:
        return False
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and (len(name) >= 3 or bool(CJK_NAME.match(name)))
        and not any(ch.isdigit() for ch in name)
        and not NOT_A_NAME.match(name)
        and not ORGANISATION.search(name)
        and any(ch.isalpha() for ch in name)
    )


def _is_site(name: str, site_name: str | None, host: str | None) -> bool:
    squashed = _squash(name)
    if site_name and squashed == _squash(site_name):
        return True
    return bool(host) and len(squashed) >= 5 and squashed in _squash(host or "")


def clean_authors(
    raw: Iterable[str], site_name: str | None = None, host: str | None = None, structured: bool = False
) -> tuple[list[str], str | None]:
    """Split bylines into people, drop roles, emails, URLs and handles; wire services go to the agency.

    "By Jane Doe and JOHN SMITH | Reuters" gives (["Jane Doe", "John Smith"], "Reuters"). The
    site itself (its name, or its host name) is no author either, in a byline read off the page.

    ``structured``: each string is one author the page declares (a JSON-LD ``author`` name). One
    that names no person and no agency is an organisation the page credits ("DER SPIEGEL",
    "Guardian staff reporter", "ORF.at"): it is kept as written rather than dropped.
    """
    people: list[str] = []
    seen: set[str] = set()
    agency: str | None = None
    for line in raw:
        if not isinstance(line, str) or not line.strip():
            continue
        found_before = (len(people), agency)
        line = " ".join(PARENTHETICAL.sub(" ", line).split())
        line = BYLINE_PREFIX.sub("", EMAIL.sub(" ", URL.sub(" ", line)))
        for part in _people_parts(line):
            if PHOTO_CREDIT.match(part):
                continue
            if found := agency_of(part):
                agency = agency or found
                continue
            part = DATE_NOISE.sub("", part)
            if match := TRAILING_AGENCY.search(part):
                agency = agency or agency_of(match["agency"])
                part = part[: match.start()]
            name = _clean_part(part)
            if not name:
                continue
            if (found := agency_of(name)) or _fold(name.split()[0]) in AGENCY_FIRST_WORDS:
                agency = agency or found or agency_of(name.split()[0])
                continue
            if structured and len(name.split()) == 1 and ROLE.search(part):
                continue  # "Gear Team", "Metro Staff": a declared team, kept whole below
            if not _is_name(name) or _is_site(name, site_name, host):
                continue  # (a declared site name comes back below as the credited organisation)
            name = title_case(name)
            key = _squash(name)
            if key not in seen:
                seen.add(key)
                people.append(name)
        credit = _credited_organisation(line) if structured and (len(people), agency) == found_before else None
        if credit and (key := _squash(credit)) not in seen:
            seen.add(key)
            people.append(credit)
    return people, agency


def _credited_organisation(line: str) -> str | None:
    """A declared author that is an organisation, as written; None for placeholders and junk."""
    credit = " ".join(line.split()).strip(" .,-–—:|·•")
    words = credit.split()
    if not words or len(words) > CREDIT_MAX_WORDS or len(credit) > CREDIT_MAX_CHARS:
        return None
    if NOT_A_NAME.match(credit) or PHOTO_CREDIT.match(credit) or not any(ch.isalpha() for ch in credit):
        return None
    return credit


def is_own_site(agency: str, site_name: str | None, host: str | None) -> bool:
    """True when the agency is the publishing site itself (its name, or a host like reuters.com)."""
    key = _squash(agency)
    if site_name and (_squash(site_name) == key or agency_of(site_name) == agency):
        return True
    labels = (host or "").lower().removeprefix("www.").split(".")
    return bool(key) and key in {_squash(label) for label in labels if label}
