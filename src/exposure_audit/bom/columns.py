"""Which BOM column is which: the header synonym table, header-row detection, `--map`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from exposure_audit.errors import UsageError
from exposure_audit.text import fold_header

# Canonical field -> header spellings (folded with `fold_header`, so case and punctuation do
# not matter: "P/N", "p.n." and "PN" all fold to "p n" or "pn").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "part_number": (
        "part number",
        "part no",
        "part num",
        "part nr",
        "part",
        "part id",
        "pn",
        "p n",
        "item number",
        "item no",
        "item nr",
        "item",
        "item id",
        "line",
        "line no",
        "mpn",
        "mfr part number",
        "mfr part no",
        "mfr pn",
        "mfg part number",
        "mfg part no",
        "manufacturer part number",
        "manufacturer part no",
        "sku",
        "article number",
        "article no",
        "material number",
        "material no",
        "component number",
        "component id",
        "part code",
        "item code",
        "product code",
        "reference",
        "ref",
        "no",
        "number",
        "index",
    ),
    "description": (
        "description",
        "item description",
        "part description",
        "component",
        "component name",
        "part name",
        "name",
        "specification",
        "specifications",
        "spec",
        "component description",
        "product",
        "product name",
        "product description",
        "title",
        "designation",
        "value",
        "details",
        "item name",
        "article",
        "article description",
        "short text",
    ),
    "material": (
        "material",
        "materials",
        "material name",
        "material description",
        "material type",
        "substance",
        "alloy",
        "grade",
        "composition",
        "chemistry",
        "material grade",
    ),
    "notes": (
        "notes",
        "note",
        "remarks",
        "remark",
        "comment",
        "comments",
        "category",
        "type",
        "part type",
        "commodity",
        "commodity code",
        "family",
        "group",
        "class",
    ),
    "quantity": (
        "qty",
        "quantity",
        "quantity per",
        "qty per",
        "qty per assembly",
        "qty per unit",
        "quantity per assembly",
        "quantity per unit",
        "qty per assy",
        "quantity per assy",
        "qty each",
        "qty ea",
        "req qty",
        "required qty",
        "order qty",
        "count",
        "pcs",
        "pieces",
        "units",
        "part quantity",
        "quantity required",
        "qty required",
        "no of pieces",
        "number of pieces",
        "ea",
        "amount",
        "menge",
        "quantite",
        "cantidad",
    ),
    "quantity_unit": ("unit", "uom", "unit of measure", "qty unit", "quantity unit", "um", "u m"),
    "unit_mass": (
        "mass",
        "weight",
        "unit mass",
        "unit weight",
        "unit wt",
        "wt",
        "part weight",
        "part mass",
        "mass per unit",
        "weight per unit",
        "net weight",
        "piece weight",
        "mass each",
        "weight each",
        "item weight",
        "gewicht",
    ),
    "total_mass": (
        "total mass",
        "total weight",
        "extended weight",
        "extended mass",
        "line weight",
        "ext weight",
        "total wt",
        "gross weight",
    ),
    "mass_unit": ("mass unit", "weight unit", "mass uom", "weight uom"),
    "supplier": (
        "supplier",
        "supplier name",
        "vendor",
        "vendor name",
        "manufacturer",
        "manufacturer name",
        "mfr",
        "mfg",
        "maker",
        "brand",
        "seller",
        "distributor",
    ),
    "supplier_country": (
        "country of origin",
        "coo",
        "c o o",
        "origin",
        "country",
        "supplier country",
        "vendor country",
        "made in",
        "manufacturing country",
        "country of manufacture",
        "origin country",
        "manufacturer country",
        "mfr country",
        "country code",
    ),
    "mining_country": (
        "mining country",
        "mine country",
        "country of mining",
        "ore origin",
        "mine origin",
        "mine location",
        "extraction country",
    ),
    "processing_country": (
        "processing country",
        "smelter country",
        "refinery country",
        "refining country",
        "country of processing",
        "smelter location",
        "refiner country",
        "processing location",
    ),
    "mineral": ("mineral", "critical mineral", "element", "metal", "cmrt metal", "minerals"),
    "cas_number": ("cas", "cas no", "cas number", "cas nr", "cas rn", "cas registry number"),
    "unit_cost": (
        "unit cost",
        "unit price",
        "price",
        "cost",
        "price each",
        "cost each",
        "each",
        "price per unit",
        "cost per unit",
        "cost per part",
        "price per part",
        "unit cost usd",
        "piece price",
        "rate",
    ),
    "extended_cost": (
        "extended cost",
        "extended price",
        "total cost",
        "total price",
        "line total",
        "ext price",
        "ext cost",
        "total part cost",
        "subtotal",
        "line cost",
        "line price",
        "total",
        "spend",
        "annual spend",
    ),
    "currency": ("currency", "curr", "ccy", "currency code"),
    # Optional columns the rule packs read (`--rules`); never required.
    "hs_code": (
        "hs code",
        "hts",
        "hts code",
        "hs tariff code",
        "cn code",
        "hs cn code",
        "tariff code",
        "customs code",
        "customs tariff number",
        "commodity code",
        "taric",
        "taric code",
        "harmonized code",
        "harmonised code",
        "harmonized system code",
    ),
    "cots": ("cots", "cots item", "is cots", "commercial off the shelf", "cots y n"),
    "defence_contract": (
        "defence contract",
        "defense contract",
        "dod contract",
        "dod program",
        "dfars",
        "dfars applicable",
        "defence",
        "defense",
    ),
    "battery_category": (
        "battery category",
        "battery class",
        "eu battery category",
        "battery use category",
    ),
    "battery_kwh": (
        "battery kwh",
        "kwh",
        "battery capacity",
        "battery capacity kwh",
        "capacity kwh",
        "energy kwh",
        "battery energy",
        "battery energy kwh",
        "rated energy",
        "nominal energy",
    ),
    "recycled_share": (
        "recycled share",
        "recycled content",
        "recycled content percent",
        "recycled percent",
        "recycled fraction",
        "recycled material share",
    ),
    "owner": (
        "owner",
        "supplier owner",
        "parent company",
        "ultimate parent",
        "ultimate owner",
        "beneficial owner",
        "supplier parent",
    ),
}

FIELDS: tuple[str, ...] = tuple(SYNONYMS)
OPTIONAL_FIELDS: tuple[str, ...] = (
    "hs_code",
    "cots",
    "defence_contract",
    "battery_category",
    "battery_kwh",
    "recycled_share",
    "owner",
)
"""Fields only the rule packs read (kept as text; never required)."""
TEXT_FIELDS: tuple[str, ...] = ("description", "material", "notes")
"""Fields where several columns may match; all of them feed the material mapping."""

_EXACT: dict[str, str] = {fold_header(s): f for f, spellings in SYNONYMS.items() for s in spellings}
_BRACKETED = re.compile(r"^(?P<name>.*?)[\s]*[\(\[\{](?P<inner>[^\)\]\}]*)[\)\]\}]\s*(?P<rest>.*)$")
MASS_UNITS: dict[str, float] = {
    "kg": 1.0,
    "kgs": 1.0,
    "kilogram": 1.0,
    "kilograms": 1.0,
    "g": 1e-3,
    "gr": 1e-3,
    "gram": 1e-3,
    "grams": 1e-3,
    "gm": 1e-3,
    "mg": 1e-6,
    "milligram": 1e-6,
    "milligrams": 1e-6,
    "t": 1000.0,
    "tonne": 1000.0,
    "tonnes": 1000.0,
    "metric ton": 1000.0,
    "mt": 1000.0,
    "lb": 0.45359237,
    "lbs": 0.45359237,
    "pound": 0.45359237,
    "pounds": 0.45359237,
    "oz": 0.028349523125,
    "ounce": 0.028349523125,
    "ounces": 0.028349523125,
}
_CURRENCY_CODES = {"usd", "eur", "gbp", "jpy", "cny", "rmb", "cad", "aud", "chf", "krw", "inr"}
_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
}


@dataclass(frozen=True)
class ColumnMap:
    """How the user's headers map to canonical fields.

    `fields` maps a field to its header (the first match); `text` lists every header that
    feeds the mapping text, in order; `mass_unit` is the unit read from a mass header.
    """

    fields: dict[str, str]
    text: dict[str, list[str]] = field(default_factory=dict)
    mass_unit: dict[str, float] = field(default_factory=dict)
    currency: str | None = None
    unmatched: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)
    """Header -> field, for a second column of a field already taken (kept, not used)."""

    def header(self, name: str) -> str | None:
        return self.fields.get(name)


# "Item No." and "Line" columns are often positions (10, 20, 30) rather than part numbers.
_POSITION_HEADERS = frozenset(
    fold_header(s)
    for s in ("item", "item no", "item number", "item nr", "item id", "line", "line no")
)


def _prefer_part_number(
    fields: dict[str, str],
    unmatched: list[str],
    duplicates: dict[str, str],
    overrides: Mapping[str, str],
) -> None:
    """When the part number was taken from an "Item No." or "Line" column and a later column is
    a part number proper ("Part Number", "Mfr Part Number", "MPN"), that one is used (in place)."""
    current = fields.get("part_number")
    if (
        current is None
        or "part_number" in overrides
        or fold_header(current) not in _POSITION_HEADERS
    ):
        return
    better = next(
        (
            h
            for h, field in duplicates.items()
            if field == "part_number" and fold_header(h) not in _POSITION_HEADERS
        ),
        None,
    )
    if better is None:
        return
    fields["part_number"] = better
    del duplicates[better]
    duplicates[current] = "part_number"
    unmatched[unmatched.index(better)] = current


def classify_header(header: str) -> tuple[str | None, float | None, str | None]:
    """One header -> (field, mass factor to kg, currency) or (None, None, None).

    >>> classify_header("Weight [kg]")
    ('unit_mass', 1.0, None)
    >>> classify_header("Unit Price (USD)")
    ('unit_cost', None, 'USD')
    """
    text = str(header).strip()
    unit: float | None = None
    currency: str | None = None
    match = _BRACKETED.match(text)
    if match:
        inner = fold_header(match.group("inner"))
        symbol = match.group("inner").strip().casefold()
        base = fold_header(f"{match.group('name')} {match.group('rest')}")
        if inner in MASS_UNITS:
            unit = MASS_UNITS[inner]
        elif symbol in _CURRENCY_SYMBOLS:
            currency = _CURRENCY_SYMBOLS[symbol]
        elif inner in _CURRENCY_CODES:
            currency = "CNY" if inner == "rmb" else inner.upper()
        elif inner and base in _EXACT:
            pass  # other bracket text such as "(each)": ignore it
        elif not base:
            base = inner
    else:
        base = fold_header(text)
        # "Mass g", "Weight kg", "Price USD": a trailing unit word.
        words = base.split()
        if len(words) >= 2 and words[-1] in MASS_UNITS and " ".join(words[:-1]) in _EXACT:
            unit = MASS_UNITS[words[-1]]
            base = " ".join(words[:-1])
        elif len(words) >= 2 and words[-1] in _CURRENCY_CODES and " ".join(words[:-1]) in _EXACT:
            currency = "CNY" if words[-1] == "rmb" else words[-1].upper()
            base = " ".join(words[:-1])
    name = _EXACT.get(base) or _fuzzy_field(base)
    if unit is not None and name not in ("unit_mass", "total_mass"):
        name = name if name in ("unit_mass", "total_mass") else _mass_field(base)
    return name, unit, currency


def _mass_field(base: str) -> str | None:
    if len(base.split()) > 4:
        return None  # a sentence that mentions mass is no header
    if "weight" in base or "mass" in base or base.endswith(" wt") or base == "wt":
        return (
            "total_mass"
            if re.search(r"\b(total|extended|ext|line|gross)\b", base)
            else ("unit_mass")
        )
    return None


def _fuzzy_field(base: str) -> str | None:
    """Headers that are no exact synonym but say plainly what they hold."""
    if not base:
        return None
    if re.match(r"^(cost|price) per\b", base) or re.match(r"^unit (cost|price)\b", base):
        return "unit_cost"
    if re.match(r"^(total|extended|ext) .*(cost|price)\b", base):
        return "extended_cost"
    if re.search(r"\bcountry of origin\b|\bcoo\b", base):
        return "supplier_country"
    if re.search(r"\b(manufacturer|mfr|mfg) part (number|no|num)\b", base):
        return "part_number"
    if re.search(r"\bcas\b", base):
        return "cas_number"
    return _mass_field(base)


def match_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Map headers to fields by the synonym table; `overrides` (field -> header) win.

    Raises `UsageError` when an override names an unknown field or a header not in the file.
    """
    overrides = {str(k).strip().lower().replace("-", "_"): v for k, v in (overrides or {}).items()}
    for name, header in list(overrides.items()):
        if name not in SYNONYMS:
            raise UsageError(
                f"--map names an unknown field {name!r}",
                f"use one of: {', '.join(FIELDS)}",
            )
        if header not in headers:
            # Forgive case, spacing and punctuation when exactly one header matches.
            same = [h for h in headers if h and fold_header(h) == fold_header(header)]
            if len(same) != 1:
                raise UsageError(
                    f"--map {name}={header}: no column {header!r} in the header row",
                    f"the columns are: {', '.join(repr(h) for h in headers if h)}",
                )
            overrides[name] = same[0]
    fields: dict[str, str] = {}
    text: dict[str, list[str]] = {f: [] for f in TEXT_FIELDS}
    mass_unit: dict[str, float] = {}
    currency: str | None = None
    unmatched: list[str] = []
    duplicates: dict[str, str] = {}
    claimed = set(overrides.values())
    for name, header in overrides.items():
        fields[name] = header
        if name in TEXT_FIELDS:
            text[name].append(header)
        _, unit, _ = classify_header(header)
        if unit is not None:
            mass_unit[name] = unit
    for header in headers:
        if not header or header in claimed:
            continue
        name, unit, cur = classify_header(header)
        if name is None:
            unmatched.append(header)
            continue
        currency = currency or cur
        if name in TEXT_FIELDS and name not in overrides:
            text[name].append(header)
            fields.setdefault(name, header)
        elif name not in fields:
            fields[name] = header
            if unit is not None:
                mass_unit[name] = unit
        else:
            unmatched.append(header)
            duplicates[header] = name
    _prefer_part_number(fields, unmatched, duplicates, overrides)
    return ColumnMap(
        fields=fields,
        text={k: v for k, v in text.items() if v},
        mass_unit=mass_unit,
        currency=currency,
        unmatched=unmatched,
        duplicates=duplicates,
    )


def header_score(cells: Sequence[object]) -> int:
    """How many cells of a row read as known column names (distinct fields)."""
    found: set[str] = set()
    for cell in cells:
        if isinstance(cell, str) and cell.strip() and len(cell) <= 80:
            name, _, _ = classify_header(cell)
            if name:
                found.add(name)
    return len(found)


def parse_map_options(values: Sequence[str]) -> dict[str, str]:
    """`--map FIELD=HEADER` options -> {field: header}. Raises `UsageError` on bad syntax."""
    result: dict[str, str] = {}
    for value in values:
        name, sep, header = value.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise UsageError(
                f"--map {value!r} is not FIELD=HEADER",
                'write it like --map description="Item Text"',
            )
        result[name.strip().replace("-", "_")] = header.strip()
    return result
