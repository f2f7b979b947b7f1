"""Country names in any common spelling -> ISO 3166-1 alpha-3 codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from exposure_audit.text import fold_header

# Spellings people type that pycountry does not know. The reference countries.yaml adds more
# (and wins); these keep the common ones working without it. Hong Kong, Macao and Taiwan keep
# their own codes: whether they count as China is a policy setting, not a spelling.
BUILTIN_ALIASES: dict[str, str] = {
    "PRC": "CHN",
    "P.R. China": "CHN",
    "PR China": "CHN",
    "Mainland China": "CHN",
    "China (PRC)": "CHN",
    "China, People's Republic of": "CHN",
    "UK": "GBR",
    "Great Britain": "GBR",
    "Britain": "GBR",
    "England": "GBR",
    "Scotland": "GBR",
    "Wales": "GBR",
    "Northern Ireland": "GBR",
    "US": "USA",
    "America": "USA",
    "United States of America": "USA",
    "Russia": "RUS",
    "Turkey": "TUR",
    "Ivory Coast": "CIV",
    "Holland": "NLD",
    "The Netherlands": "NLD",
    "UAE": "ARE",
    "Emirates": "ARE",
    "South Korea": "KOR",
    "Republic of Korea": "KOR",
    "Korea (South)": "KOR",
    "Korea": "KOR",
    "North Korea": "PRK",
    "DPRK": "PRK",
    "DRC": "COD",
    "DR Congo": "COD",
    "D.R. Congo": "COD",
    "Congo-Kinshasa": "COD",
    "Congo (Kinshasa)": "COD",
    "Democratic Republic of Congo": "COD",
    "Democratic Republic of the Congo": "COD",
    "Congo-Brazzaville": "COG",
    "Congo (Brazzaville)": "COG",
    "Republic of the Congo": "COG",
    "Cape Verde": "CPV",
    "Swaziland": "SWZ",
    "Burma": "MMR",
    "Brunei": "BRN",
    "Palestine": "PSE",
    "Vatican": "VAT",
    "Micronesia": "FSM",
    "East Timor": "TLS",
    "Hongkong": "HKG",
    "Hong Kong SAR": "HKG",
    "Hong Kong, China": "HKG",
    "HK": "HKG",
    "Macau": "MAC",
    "Macao SAR": "MAC",
    "Macau SAR": "MAC",
    "Taiwan ROC": "TWN",
    "Republic of China": "TWN",
    "Chinese Taipei": "TWN",
    "Taiwan, China": "TWN",
    "ROC": "TWN",
}
_INITIALS = re.compile(r"^(?:[a-z] )+[a-z]$")


def country_key(text: str) -> str:
    """The lookup key of a country spelling: folded, punctuation gone, "U.S.A." -> "usa";
    a name in another script ("中国", "Германия") keeps its letters, case folded."""
    if not text.isascii() and any(ch.isalpha() and ord(ch) > _LATIN_END for ch in text):
        wide = unicodedata.normalize("NFKC", text).casefold()
        return " ".join(_NOT_WORD.sub(" ", wide).split())
    key = fold_header(text)
    return key.replace(" ", "") if _INITIALS.match(key) else key


_LATIN_END = 0x24F
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _pycountry_index() -> dict[str, str]:
    import pycountry  # slow to import: only when a country column is actually read

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(country_key(value), country.alpha_3)
    for alias, code in BUILTIN_ALIASES.items():
        index[country_key(alias)] = code
    return index


@lru_cache(maxsize=1)
def _translated_names() -> dict[str, str]:
    """Country names in every language pycountry carries a translation for (its iso3166-1
    gettext catalogues: "Deutschland", "Allemagne", "中国", "Japón"). A spelling that names
    different countries in different languages is left out."""
    import gettext
    from pathlib import Path

    import pycountry

    locales = Path(pycountry.__file__).parent / "locales"
    names = [
        (c.alpha_3, value)
        for c in pycountry.countries
        for value in {getattr(c, a, None) for a in ("name", "common_name", "official_name")}
        if value
    ]
    found: dict[str, set[str]] = {}
    for folder in sorted(p for p in locales.iterdir() if p.is_dir()):
        try:
            catalogue = gettext.translation("iso3166-1", str(locales), [folder.name])
        except OSError:
            continue
        for code, name in names:
            translated = catalogue.gettext(name)
            if translated != name:
                found.setdefault(country_key(translated), set()).add(code)
    return {k: next(iter(v)) for k, v in found.items() if k and len(v) == 1}


def country_index(aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Folded spelling -> ISO alpha-3, from pycountry and built-in aliases plus `aliases`
    (which win)."""
    index = dict(_pycountry_index())
    if aliases:
        index.update({country_key(str(k)): str(v) for k, v in aliases.items()})
    return index


def to_iso3(values: pd.Series, aliases: Mapping[str, str] | None = None) -> pd.Series:
    """Map country names to ISO alpha-3 codes; blanks and unknown names give None.

    Vectorised: each distinct spelling is looked up once and the result joined back. Never
    raises: cells that are not text (numbers, dates) are looked up as their text.
    """
    index = country_index(aliases)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    found = np.empty(len(uniques) + 1, dtype=object)
    keys = [country_key(str(u)) for u in uniques]
    found[:-1] = [index.get(k) for k in keys]
    if any(f is None and k for f, k in zip(found[:-1], keys, strict=True)):
        # Only now the names in other languages (reading ~150 catalogues takes a second).
        translated = _translated_names()
        found[:-1] = [
            f if f is not None else translated.get(k) for f, k in zip(found[:-1], keys, strict=True)
        ]
    found[-1] = None  # code -1: a missing value
    return pd.Series(found[codes], index=values.index, dtype=object)


@lru_cache(maxsize=1)
def _iso3_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def valid_iso3(code: str) -> bool:
    """Whether `code` is a current ISO 3166-1 alpha-3 code."""
    return code in _iso3_codes()
