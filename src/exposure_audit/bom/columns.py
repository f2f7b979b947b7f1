"""Which BOM column is which: the header synonym table, header-row detection, `--map`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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
        "details",
        "item name",
        "article",
        "article description",
        "short text",
        "item text",
        "line text",
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
    # Electronics exports (KiCad, Altium, EasyEDA, JLCPCB, KiBoM...) describe a part by these.
    "designator": (
        "designator",
        "designators",
        "reference designator",
        "reference designators",
        "ref des",
        "refdes",
        "ref designator",
        "ref designators",
        "reference s",
        "references",
        "reference",
        "refs",
        "ref",
        "part reference",
        "circuit reference",
        "schematic reference",
    ),
    "value": ("value", "values", "val", "component value", "part value", "nominal value"),
    "footprint": (
        "footprint",
        "pcb footprint",
        "package",
        "package type",
        "case",
        "case package",
        "package case",
        "case code",
        "housing",
        "land pattern",
    ),
    "manufacturer": (
        "manufacturer",
        "manufacturer name",
        "manufacturer 1",
        "mfr",
        "mfr name",
        "mfg",
        "mfg name",
        "maker",
        "brand",
    ),
    "mpn": (
        "mpn",
        "mfr part number",
        "mfr part no",
        "mfr part num",
        "mfr part",
        "mfr pn",
        "mfr p n",
        "mfg part number",
        "mfg part no",
        "mfg part",
        "mfg pn",
        "manufacturer part number",
        "manufacturer part no",
        "manufacturer part",
        "manufacturer pn",
        "manufacturer part number 1",
        "manufacturers part number",
        "manufacturer s part number",
        "part number manufacturer",
    ),
    "supplier_part": (
        "supplier part",
        "supplier part number",
        "supplier part no",
        "supplier pn",
        "vendor part",
        "vendor part number",
        "vendor pn",
        "distributor part number",
        "distributor part",
        "distributor pn",
        "order number",
        "order no",
        "order code",
        "ordering code",
        "lcsc part",
        "lcsc part number",
        "lcsc",
        "lcsc pn",
        "lcscstockcode",
        "lcsc stock code",
        "jlcpcb part",
        "jlcpcb part number",
        "digikey part number",
        "digi key part number",
        "digikey pn",
        "digi key pn",
        "digikey",
        "digi key",
        "mouser part number",
        "mouser pn",
        "mouser",
        "farnell part number",
        "farnell",
        "newark part number",
        "rs part number",
        "rs stock no",
        "arrow part number",
        "stock code",
    ),
    "placement": (
        "dnp",
        "dnf",
        "dni",
        "do not place",
        "do not populate",
        "do not fit",
        "not fitted",
        "no fit",
        "nf",
        "fitted",
        "populate",
        "populated",
        "place",
        "placed",
        "placement",
        "mount",
        "mounted",
        "assemble",
        "assembled",
        "stuff",
        "stuffed",
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

# The same headers in German, French, Spanish, Italian, Portuguese, Chinese and Japanese, as
# `header_key` folds them (accents dropped: "Stückzahl" -> "stuckzahl"; Chinese and Japanese
# kept as written). A word two languages use for different things is left out (Spanish
# "nombre" is a name, French "nombre" a count).
TRANSLATIONS: dict[str, tuple[str, ...]] = {
    "part_number": (
        # de
        "teilenummer",
        "teile nr",
        "teilenr",
        "artikelnummer",
        "artikel nr",
        "art nr",
        "sachnummer",
        "sach nr",
        "materialnummer",
        "material nr",
        "zeichnungsnummer",
        # fr
        "numero de piece",
        "no de piece",
        "n de piece",
        "code article",
        "numero d article",
        "ref article",
        # es / pt / it
        "numero de parte",
        "no de parte",
        "n de parte",
        "codigo",
        "codigo de articulo",
        "numero da peca",
        "codigo da peca",
        "codice",
        "codice articolo",
        "numero parte",
        "codice parte",
        # zh / ja
        "料号",
        "物料编码",
        "物料编号",
        "物料代码",
        "零件号",
        "零件编号",
        "部件号",
        "品番",
        "部品番号",
        "部品コード",
        "品目コード",
    ),
    "description": (
        # de
        "benennung",
        "bezeichnung",
        "beschreibung",
        "artikelbezeichnung",
        "kurztext",
        "teilebezeichnung",
        "teilename",
        # fr
        "designation",
        "libelle",
        "nom",
        "nom de la piece",
        # es
        "descripcion",
        "nombre",
        "denominacion",
        "nombre de la pieza",
        # it
        "descrizione",
        "denominazione",
        "nome",
        # pt
        "descricao",
        "denominacao",
        "nome da peca",
        # zh / ja
        "名称",
        "描述",
        "物料名称",
        "物料描述",
        "零件名称",
        "元件名称",
        "规格",
        "规格描述",
        "品名",
        "部品名",
        "名前",
        "説明",
        "仕様",
        "品名 仕様",
    ),
    "material": (
        "mat l",
        "matl",
        "werkstoff",
        "werkstoffe",
        "werkstoffbezeichnung",
        "matiere",
        "materiau",
        "materiaux",
        "materiale",
        "materiali",
        "材料",
        "材质",
        "材質",
        "素材",
    ),
    "notes": (
        "bemerkung",
        "bemerkungen",
        "anmerkung",
        "anmerkungen",
        "hinweis",
        "kommentar",
        "remarque",
        "remarques",
        "commentaire",
        "commentaires",
        "observaciones",
        "notas",
        "comentario",
        "comentarios",
        "osservazioni",
        "commento",
        "commenti",
        "observacoes",
        "observacao",
        "备注",
        "注释",
        "備考",
        "コメント",
        "注記",
    ),
    "quantity": (
        "quantity per pcb",
        "qty per pcb",
        "quantity per board",
        "qty per board",
        "quantity per kit",
        "qty per kit",
        "quantity per device",
        "qty per device",
        "anzahl",
        "stuckzahl",
        "stk",
        "stuck",
        "anz",
        "menge pro baugruppe",
        "qte",
        "quantite par",
        "cant",
        "cantidad por",
        "quantita",
        "qta",
        "quantidade",
        "qtd",
        "qtde",
        "数量",
        "用量",
        "个数",
        "個数",
        "員数",
        "必要数",
    ),
    "quantity_unit": (
        "einheit",
        "mengeneinheit",
        "me",
        "unite",
        "unidad",
        "unita",
        "unidade",
        "单位",
        "単位",
    ),
    "unit_mass": (
        "masse",
        "einzelgewicht",
        "stuckgewicht",
        "poids",
        "poids unitaire",
        "peso",
        "peso unitario",
        "重量",
        "单重",
        "质量",
        "質量",
        "単重",
    ),
    "total_mass": ("gesamtgewicht", "poids total", "peso total", "peso totale", "总重", "総重量"),
    "supplier": (
        "lieferant",
        "zulieferer",
        "fournisseur",
        "proveedor",
        "fornitore",
        "fornecedor",
        "供应商",
        "供货商",
        "仕入先",
        "サプライヤー",
        "購入先",
    ),
    "manufacturer": (
        "hersteller",
        "herstellername",
        "fabricant",
        "fabricante",
        "produttore",
        "costruttore",
        "制造商",
        "生产商",
        "厂家",
        "厂商",
        "品牌",
        "メーカー",
        "製造元",
        "メーカー名",
    ),
    "mpn": (
        "herstellerteilenummer",
        "hersteller teilenummer",
        "herstellerartikelnummer",
        "hersteller artikelnummer",
        "herstellernummer",
        "hersteller nr",
        "reference fabricant",
        "ref fabricant",
        "numero de parte del fabricante",
        "referencia del fabricante",
        "codice produttore",
        "codice costruttore",
        "numero de peca do fabricante",
        "型号",
        "规格型号",
        "制造商料号",
        "厂家型号",
        "制造商型号",
        "メーカー型番",
        "型番",
        "型式",
    ),
    "supplier_part": (
        "bestellnummer",
        "best nr",
        "bestell nr",
        "lieferantennummer",
        "reference fournisseur",
        "ref fournisseur",
        "referencia del proveedor",
        "codice fornitore",
        "供应商料号",
        "供应商编号",
        "商品编号",
        "注文番号",
        "発注コード",
    ),
    "designator": ("位号", "元件位号", "位置号", "标号", "リファレンス", "部品記号", "シンボル"),
    "value": ("wert", "valeur", "valor", "valore", "值", "参数", "标称值", "定数", "値"),
    "footprint": (
        "gehause",
        "bauform",
        "boitier",
        "empreinte",
        "encapsulado",
        "huella",
        "contenitore",
        "involucro",
        "encapsulamento",
        "封装",
        "封裝",
        "パッケージ",
        "フットプリント",
        "外形",
    ),
    "placement": (
        "bestucken",
        "bestuckt",
        "bestuckung",
        "monter",
        "montage",
        "montar",
        "montare",
        "贴片",
        "是否贴片",
        "実装",
    ),
    "supplier_country": (
        "ursprungsland",
        "herkunftsland",
        "herkunft",
        "land",
        "ursprung",
        "pays d origine",
        "pays",
        "origine",
        "pais de origen",
        "pais",
        "origen",
        "paese di origine",
        "paese",
        "pais de origem",
        "origem",
        "原产地",
        "原产国",
        "产地",
        "国家",
        "原産国",
        "原産地",
    ),
    "unit_cost": (
        "preis",
        "einzelpreis",
        "stuckpreis",
        "prix",
        "prix unitaire",
        "precio",
        "precio unitario",
        "prezzo",
        "prezzo unitario",
        "preco",
        "preco unitario",
        "单价",
        "価格",
        "単価",
    ),
    "extended_cost": (
        "gesamtpreis",
        "summe",
        "prix total",
        "montant",
        "precio total",
        "importe",
        "prezzo totale",
        "importo",
        "preco total",
        "总价",
        "金额",
        "小计",
        "合計",
        "金額",
    ),
    "currency": ("wahrung", "devise", "moneda", "valuta", "moeda", "币种", "货币", "通貨"),
}
for _field, _spellings in TRANSLATIONS.items():
    SYNONYMS[_field] = SYNONYMS[_field] + _spellings

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
ELECTRONICS_FIELDS: tuple[str, ...] = (
    "designator",
    "value",
    "footprint",
    "manufacturer",
    "mpn",
    "supplier_part",
)
"""How electronics exports name a part: canonical BOM columns (text, "" when absent) that
component recognition reads besides the description."""
TEXT_FIELDS: tuple[str, ...] = ("description", "material", "notes")
"""Fields where several columns may match; all of them feed the material mapping."""


def header_key(text: str) -> str:
    """A header folded for lookup: `fold_header` for Latin script (case, accents and
    punctuation dropped); headers in other scripts (Chinese, Japanese, Cyrillic) keep their
    letters, NFKC-normalised, with punctuation and spaces collapsed.

    >>> header_key("Stückzahl"), header_key("数量（个）"), header_key("Qty.")
    ('stuckzahl', '数量 个', 'qty')
    """
    folded = fold_header(text)
    if text.isascii():
        return folded
    wide = unicodedata.normalize("NFKC", text).casefold()
    if not any(ch.isalpha() and ord(ch) > _LATIN_END for ch in wide):
        return folded
    return " ".join(_NOT_WORD.sub(" ", fold_header_wide(wide)).split())


def fold_header_wide(text: str) -> str:
    """Accents dropped from Latin letters, other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


_LATIN_END = 0x24F
_NOT_WORD = re.compile(r"[\W_]+")
_EXACT: dict[str, str] = {header_key(s): f for f, spellings in SYNONYMS.items() for s in spellings}
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
    chosen_by: dict[str, str] = field(default_factory=dict)
    """Header -> why it was chosen, where not by its name alone (--map, an EDA export's
    Comment read as the value)."""

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
        if "mpn" in fields and "mpn" not in overrides:
            # The manufacturer's part number identifies the part better than a position.
            fields["part_number"] = fields["mpn"]
            duplicates[current] = "part_number"
            unmatched.append(current)
        return
    fields["part_number"] = better
    del duplicates[better]
    duplicates[current] = "part_number"
    unmatched[unmatched.index(better)] = current


_COMMENT_HEADERS = frozenset({"comment", "comments"})


def _comment_is_value(
    fields: dict[str, str], text: dict[str, list[str]], overrides: Mapping[str, str]
) -> str | None:
    """In an EDA export (a designator or footprint column) without a Value column, "Comment"
    is the part's value: Altium's default Comment parameter is the value, and JLCPCB's BOM
    template (Comment, Designator, Footprint, LCSC Part #) puts "100nF" or the part name there.
    It is read as the value, so an empty description falls back to it (in place)."""
    if "value" in fields or "value" in overrides:
        return None
    if "designator" not in fields and "footprint" not in fields:
        return None
    comment = next((h for h in text.get("notes", []) if fold_header(h) in _COMMENT_HEADERS), None)
    if comment is None or "notes" in overrides:
        return None
    text["notes"].remove(comment)
    fields["value"] = comment
    if fields.get("notes") == comment:
        if text["notes"]:
            fields["notes"] = text["notes"][0]
        else:
            del fields["notes"]
    return comment


def classify_header(header: str) -> tuple[str | None, float | None, str | None]:
    """One header -> (field, mass factor to kg, currency) or (None, None, None).

    >>> classify_header("Weight [kg]")
    ('unit_mass', 1.0, None)
    >>> classify_header("Unit Price (USD)")
    ('unit_cost', None, 'USD')
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    unit: float | None = None
    currency: str | None = None
    match = _BRACKETED.match(text)
    if match:
        inner = header_key(match.group("inner"))
        symbol = match.group("inner").strip().casefold()
        base = header_key(f"{match.group('name')} {match.group('rest')}")
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
        base = header_key(text)
        # "Mass g", "Weight kg", "Price USD": a trailing unit word.
        words = base.split()
        if len(words) >= 2 and words[-1] in MASS_UNITS and " ".join(words[:-1]) in _EXACT:
            unit = MASS_UNITS[words[-1]]
            base = " ".join(words[:-1])
        elif len(words) >= 2 and words[-1] in _CURRENCY_CODES and " ".join(words[:-1]) in _EXACT:
            currency = "CNY" if words[-1] == "rmb" else words[-1].upper()
            base = " ".join(words[:-1])
    name = _EXACT.get(base) or _EXACT.get(_camel_key(text)) or _fuzzy_field(base)
    if unit is not None and name not in ("unit_mass", "total_mass"):
        name = name if name in ("unit_mass", "total_mass") else _mass_field(base)
    return name, unit, currency


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _camel_key(text: str) -> str:
    """A CamelCase header split into words: "PartNumber" -> "part number", "LCSCStockCode"
    -> "lcsc stock code" (tried after the header as written, so "UoM" stays "uom")."""
    return header_key(_CAMEL.sub(" ", text))


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
    if re.match(r"^(part |item |component |product )?name\b", base) and len(base.split()) <= 5:
        return "description"  # "Name in building instructions", "Part name (EN)"
    return _mass_field(base)


def _checked_overrides(headers: Sequence[str], overrides: Mapping[str, str]) -> dict[str, str]:
    """--map FIELD=HEADER pairs with each field known and each header in the file (case,
    spacing and punctuation forgiven when exactly one header matches); UsageError otherwise."""
    checked = {str(k).strip().lower().replace("-", "_"): v for k, v in overrides.items()}
    for name, header in list(checked.items()):
        if name not in SYNONYMS:
            raise UsageError(
                f"--map names an unknown field {name!r}",
                f"use one of: {', '.join(FIELDS)}",
            )
        if header not in headers:
            same = [h for h in headers if h and fold_header(h) == fold_header(header)]
            if len(same) != 1:
                raise UsageError(
                    f"--map {name}={header}: no column {header!r} in the header row",
                    f"the columns are: {', '.join(repr(h) for h in headers if h)}",
                )
            checked[name] = same[0]
    return checked


def match_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Map headers to fields by the synonym table; `overrides` (field -> header) win.

    Raises `UsageError` when an override names an unknown field or a header not in the file.
    """
    overrides = _checked_overrides(headers, overrides or {})
    name: str | None  # a field name; None below for a header no synonym matches
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
    chosen_by = {h: f"named by --map {n}={h} or the --mapping file" for n, h in overrides.items()}
    comment = _comment_is_value(fields, text, overrides)
    if comment is not None:
        chosen_by[comment] = (
            "an EDA export (designator/footprint columns) without a Value column: its "
            "Comment column holds the value (Altium, JLCPCB)"
        )
    return ColumnMap(
        fields=fields,
        text={k: v for k, v in text.items() if v},
        mass_unit=mass_unit,
        currency=currency,
        unmatched=unmatched,
        duplicates=duplicates,
        chosen_by=chosen_by,
    )


def match_table(
    headers: Sequence[str], frame: object, overrides: Mapping[str, str] | None = None
) -> ColumnMap:
    """`match_columns`, then any text column that only numbers the lines moved out
    (`without_line_numbers`), judged on the first 500 cells of `frame` (a RawTable's)."""
    columns = match_columns(headers, overrides)
    wanted = {h for hs in columns.text.values() for h in hs}
    cells = {
        h: frame[h].iloc[:500].tolist()  # type: ignore[index]
        for h in wanted
        if h in frame.columns  # type: ignore[attr-defined]
    }
    return without_line_numbers(columns, cells)


def without_line_numbers(columns: ColumnMap, cells: Mapping[str, Sequence[object]]) -> ColumnMap:
    """`columns` with any text column that only numbers the lines (1, 2, 3...: KiCad's
    "Component", a hand-kept "#") moved to the extra columns: a line index is no text, and
    read as one it glues "1 — " onto every description. `cells`: header -> its cells."""
    moved: list[str] = []
    text = {name: list(headers) for name, headers in columns.text.items()}
    for headers in text.values():
        for header in list(headers):
            if header in columns.chosen_by or not _numbers_lines(cells.get(header, ())):
                continue
            headers.remove(header)
            moved.append(header)
    if not moved:
        return columns
    fields = dict(columns.fields)
    for name, header in list(fields.items()):
        if header in moved:
            if text.get(name):
                fields[name] = text[name][0]
            else:
                del fields[name]
    reasons = dict(columns.chosen_by)
    for header in moved:
        reasons[header] = (
            "it numbers the lines (1, 2, 3...): a line index, kept as is, not read as text"
        )
    return replace(
        columns,
        fields=fields,
        text={k: v for k, v in text.items() if v},
        unmatched=[*columns.unmatched, *moved],
        chosen_by=reasons,
    )


def _numbers_lines(values: Sequence[object]) -> bool:
    """Whether a column's cells are the numbers 1, 2, 3... (blanks aside), in order."""
    numbers: list[float] = []
    for value in values:
        text = str(value).strip() if value is not None else ""
        if not text or text == "nan":
            continue
        try:
            numbers.append(float(text))
        except ValueError:
            return False
    if len(numbers) < 3:
        return False
    steps = zip(numbers, numbers[1:], strict=False)
    return all(b - a == 1 for a, b in steps) and numbers[0] in (0.0, 1.0)


def column_reasons(columns: ColumnMap) -> dict[str, str]:
    """Header -> why it was read as it was (what `validate` shows for each column)."""
    out: dict[str, str] = {}
    for name, headers in columns.text.items():
        for header in headers:
            out[header] = columns.chosen_by.get(header) or explain_header(header, name)
    for name, header in columns.fields.items():
        out.setdefault(header, columns.chosen_by.get(header) or explain_header(header, name))
    for header, name in columns.duplicates.items():
        out[header] = (
            f"a second {name} column; {columns.fields.get(name)!r} is used, this one kept as is"
        )
    for header in columns.unmatched:
        out.setdefault(
            header,
            columns.chosen_by.get(header)
            or "no field is named so: kept as an extra column (component recognition reads it)",
        )
    return out


_LANGUAGE_OF = {header_key(s): f for f, spellings in TRANSLATIONS.items() for s in spellings}


def explain_header(header: str, name: str) -> str:
    """Why a header reads as field `name`: a synonym (English or translated), its unit or
    currency in brackets, or its words."""
    key = header_key(header)
    if _LANGUAGE_OF.get(key) == name:
        return f"{header!r} is {name} in another language (de/fr/es/it/pt/zh/ja)"
    if _EXACT.get(key) == name:
        return f"{header!r} is a name for {name}"
    _, unit, currency = classify_header(header)
    if unit is not None:
        return f"{header!r} is a mass column in the unit it names"
    if currency is not None:
        return f"{header!r} is a cost in {currency}"
    return f"{header!r} reads as {name} by its words"


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
