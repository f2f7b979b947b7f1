"""Country names in any common spelling -> ISO 3166-1 alpha-3 codes."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

from exposure_audit.text import fold


@lru_cache(maxsize=1)
def _pycountry_index() -> dict[str, str]:
    import pycountry  # slow to import: only when a country column is actually read

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(fold(value), country.alpha_3)
    # NOTE: pycountry's historic names ("Burma", "Zaire") live in historic_countries;
    # the reference countries.yaml carries the aliases users actually type.
    return index


def country_index(aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Folded spelling -> ISO alpha-3, from pycountry plus `aliases` (which win)."""
    index = dict(_pycountry_index())
    if aliases:
        index.update({fold(k): v for k, v in aliases.items()})
    return index


def to_iso3(values: pd.Series, aliases: Mapping[str, str] | None = None) -> pd.Series:
    """Map country names to ISO alpha-3 codes; blanks and unknown names give None.

    Vectorised: each distinct spelling is looked up once and the result joined back.
    """
    index = country_index(aliases)
    text = values.fillna("").astype(str)
    uniques = pd.unique(text)
    lookup = {u: index.get(fold(u)) for u in uniques}
    return text.map(lookup).astype(object).where(text.map(lookup).notna(), None)


@lru_cache(maxsize=1)
def _iso3_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def valid_iso3(code: str) -> bool:
    """Whether `code` is a current ISO 3166-1 alpha-3 code."""
    return code in _iso3_codes()
