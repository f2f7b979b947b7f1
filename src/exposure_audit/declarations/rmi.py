"""Reader for suppliers' RMI declarations (CMRT, EMRT, CRT, AMRT Excel templates).

Suppliers answer conflict- and extended-minerals requests with the Responsible Minerals
Initiative templates. This module turns a set of filled templates into:

* one `DeclarationFile` per readable file (template kind, version, company, scope, date, counts),
* a de-duplicated smelter table (RMI smelter id -> metal, country, recycled flag, declaring files),
* a mine table (EMRT 2.x / AMRT Mine List),
* `DeclarationProblem` entries for every file that cannot be used; reading never stops early.

Layout facts (verified in the official CMRT 6.5/6.31, EMRT 2.1/1.3, CRT 2.21, AMRT 1.3 files):
visible labels are formulas into the hidden `L` translation sheet, so a file saved in Chinese has
Chinese headers. Nothing here matches header text: sheets are found by English name, then by
content markers (version stamp, "(CMRT)" title, CID column), then by tab position; cells are read
by position. Dropdown values (metal names, "Smelter not listed", country names) stay English in
every language, except AMRT's recycled answer, which is localized ("是"/"否").

RMI's embedded Smelter Look-up is only read from the user's own file at run time (country
fallback by RMI id); nothing from it is shipped.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import python_calamine
from pydantic import BaseModel, ConfigDict

from exposure_audit.bom.safety import check_zip_container
from exposure_audit.errors import BomReadError
from exposure_audit.reference.countries import to_iso3

__all__ = [
    "EXCEL_SUFFIXES",
    "METAL_IDS",
    "UNMAPPED_METALS",
    "DeclarationFile",
    "DeclarationProblem",
    "DeclarationSet",
    "TemplateKind",
    "metal_id",
    "normalize_company",
    "read_declarations",
]

TemplateKind = Literal["CMRT", "EMRT", "CRT", "AMRT"]

EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls")

RECYCLED = "RECYCLED"
UNKNOWN = "UNKNOWN"

# --- layout ------------------------------------------------------------------------------------
# Rows/columns are 0-based indexes into calamine's padded grid (row 1 = index 0, column A = 0).


def _cell(ref: str) -> tuple[int, int]:
    """'D22' -> (21, 3)."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not m:  # pragma: no cover - programming error in the tables below
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


@dataclass(frozen=True)
class _Layout:
    """Cell positions of one template family/version range."""

    date: str  # Declaration effective date cell
    q1_rows: tuple[int, ...] = ()  # 1-based rows of Question 1 answers (column D)
    q1_metals: tuple[str, ...] = ()  # fixed metal order of those rows ("" = label from column B)
    scope_cells: tuple[str, ...] = ()  # Declaration cells listing minerals in scope
    has_mine_list: bool = False
    not_listed_marker_cols: tuple[str, ...] = ("W4", "X4")  # Smelter List hidden helper cells


_COMPANY_CELL = "D8"
_SCOPE_CELL = "D9"
_STAMP_DECLARATION = "J3"
_STAMP_SMELTER_LIST = "Q3"
_STAMP_MINE_LIST = "M3"
_TITLE_DECLARATION = "D2"
_SORTED_SCOPE = tuple(f"AA{r}" for r in range(12, 22))  # EMRT 2.x / AMRT: selected minerals

_LAYOUTS: dict[tuple[str, int], _Layout] = {
    # CMRT 6.x: Q1 rows 26-29 in fixed order Tantalum, Tin, Gold, Tungsten.
    ("CMRT", 6): _Layout(
        date="D22", q1_rows=(26, 27, 28, 29), q1_metals=("tantalum", "tin", "gold", "tungsten")
    ),
    # EMRT 1.x: cobalt and mica only, Q1 rows 26-27.
    ("EMRT", 1): _Layout(date="D22", q1_rows=(26, 27), q1_metals=("cobalt", "mica")),
    # EMRT 2.x: minerals-in-scope block pushes the company block down; Q1 rows 30-39 labelled
    # in column B from the alphabetical selection in AA12:AA21; Mine List added.
    ("EMRT", 2): _Layout(
        date="D26",
        q1_rows=tuple(range(30, 40)),
        q1_metals=("",) * 10,
        scope_cells=("D12", "E12", "G12", "D13", "E13", "G13", *_SORTED_SCOPE),
        has_mine_list=True,
        not_listed_marker_cols=("W4", "X4"),
    ),
    ("CRT", 2): _Layout(date="D22", q1_rows=(26,), q1_metals=("cobalt",)),
    # AMRT 1.x: up to 10 minerals; Q1 rows 31-40; helper markers moved to AA4/AB4.
    ("AMRT", 1): _Layout(
        date="D27",
        q1_rows=tuple(range(31, 41)),
        q1_metals=("",) * 10,
        scope_cells=_SORTED_SCOPE,
        has_mine_list=True,
        not_listed_marker_cols=("AA4", "AB4"),
    ),
}

# Versions RMI has published (facts file 1.1). Layouts were verified cell by cell for CMRT 6.5
# and 6.31, EMRT 2.1 and 1.3, CRT 2.21 (stamped "2.2" inside) and AMRT 1.3; the other versions of
# a family are read with the same positions.
_KNOWN_VERSIONS: dict[str, frozenset[str]] = {
    "CMRT": frozenset({"6.01", "6.1", "6.2", "6.21", "6.22", "6.3", "6.31", "6.4", "6.5"}),
    "EMRT": frozenset({"1.0", "1.01", "1.02", "1.1", "1.11", "1.2", "1.3", "2.0", "2.1"}),
    "CRT": frozenset({"2.0", "2.1", "2.11", "2.2", "2.21"}),
    "AMRT": frozenset({"1.0", "1.01", "1.1", "1.2", "1.21", "1.3"}),
}
_LATEST_MAJOR = {"CMRT": 6, "EMRT": 2, "CRT": 2, "AMRT": 1}

# Smelter List columns (A-Q; R/S hidden helpers), identical in every verified version.
_SL_HEADER_ROW = 3  # row 4
_SL_FIRST_ROW = 4  # row 5
_C_INPUT_ID, _C_METAL, _C_LOOKUP, _C_NAME, _C_COUNTRY, _C_ID = 0, 1, 2, 3, 4, 5
_C_STREET, _C_CITY, _C_STATE, _C_RECYCLED = 7, 8, 9, 15
_C_STD_NAME, _C_COUNTRY_CODE = 17, 18
# Mine List (EMRT 2.0+, AMRT 1.1+): A metal, B smelter(s), C mine name, D mine id, F country.
_M_METAL, _M_SMELTER, _M_NAME, _M_ID, _M_COUNTRY = 0, 1, 2, 3, 5
# Smelter Look-up: A metal, B alias, C standard name, D country, E smelter id.
_L_METAL, _L_ALIAS, _L_STD, _L_COUNTRY, _L_ID = 0, 1, 2, 3, 4

_ENGLISH_SHEETS = {
    "declaration": "declaration",
    "smelter list": "smelter_list",
    "mine list": "mine_list",
    "smelter look-up": "lookup",
    "smelter lookup": "lookup",
    "revision": "revision",
}
# Tab positions (0-based) by template, used only when names and markers both fail. The Mine
# List is never found by position: EMRT 1.x has a Product List where 2.x has the Mine List.
_TAB_POSITIONS: dict[str, dict[str, int]] = {
    "CMRT": {"declaration": 3, "smelter_list": 4, "lookup": 7},
    "EMRT": {"declaration": 3, "smelter_list": 4, "lookup": 8},
    "CRT": {"declaration": 3, "smelter_list": 4, "lookup": 7},
    "AMRT": {"declaration": 3, "smelter_list": 5, "lookup": 9},
}

_CID = re.compile(r"^CID\d{6}$")
_VERSION = re.compile(r"(\d+\.\d+)")
_STAMP = re.compile(r"^\s*\D{0,20}?(\d+\.\d+)\s*(?:\n|$)")
_ACRONYM = re.compile(r"\((CMRT|EMRT|CRT|AMRT|PRT)\)")
# The acronym in the title -> the template (PRT, the pilot, became the AMRT).
_ACRONYMS: dict[str, TemplateKind] = {
    "CMRT": "CMRT",
    "EMRT": "EMRT",
    "CRT": "CRT",
    "AMRT": "AMRT",
    "PRT": "AMRT",
}
_TITLES: dict[str, TemplateKind] = {
    "conflict minerals reporting template": "CMRT",
    "extended mineral reporting template": "EMRT",
    "extended minerals reporting template": "EMRT",
    "cobalt reporting template": "CRT",
    "additional minerals reporting template": "AMRT",
    "pilot reporting template": "AMRT",
}

# --- vocabularies ------------------------------------------------------------------------------

METAL_IDS: dict[str, str] = {
    "tin": "tin",
    "tantalum": "tantalum",
    "tungsten": "tungsten",
    "wolfram": "tungsten",
    "gold": "gold",
    "cobalt": "cobalt",
    "mica": "mica",
    "natural mica": "mica",
    "copper": "copper",
    "graphite": "graphite",
    "natural graphite": "graphite",
    "graphite natural": "graphite",
    "lithium": "lithium",
    "nickel": "nickel",
    "aluminum": "aluminum",
    "aluminium": "aluminum",
    "iridium": "iridium",
    "lime": "lime",
    "manganese": "manganese",
    "palladium": "palladium",
    "platinum": "platinum",
    "rare earth elements": "rare_earths",
    "rare earths": "rare_earths",
    "rhodium": "rhodium",
    "ruthenium": "ruthenium",
    "silver": "silver",
    "soda ash": "soda_ash",
    "zinc": "zinc",
    # Labels as they appear in localized Declarations (Chinese, Japanese).
    "锡": "tin",
    "钽": "tantalum",
    "钨": "tungsten",
    "金": "gold",
    "钴": "cobalt",
    "云母": "mica",
    "铜": "copper",
    "石墨": "graphite",
    "锂": "lithium",
    "镍": "nickel",
    "錫": "tin",
    "タンタル": "tantalum",
    "タングステン": "tungsten",
    "コバルト": "cobalt",
    "マイカ": "mica",
}
"""Folded metal name (as RMI templates write it) -> lowercase English mineral id."""

UNMAPPED_METALS: frozenset[str] = frozenset({"mica", "lime", "soda_ash"})
"""Metal ids RMI templates cover but the reference tables have no mineral for (flagged)."""

_KNOWN_METALS = frozenset(METAL_IDS.values()) - UNMAPPED_METALS

# The look-up's standard values are English in every language; hand-typed translations taken
# from the templates' own instructions (L sheet) are accepted too.
_NOT_LISTED = {
    "smelter not listed",
    "冶炼厂未列出",
    "製錬業者が表に含まれていない",
    "제련소명 없음",
    "la fonderie ne figure pas dans la liste",
    "fonderie non repertoriee",
    "fundicao nao listada",
    "fundidora no registrada",
    "fundidor no listado",
    "fonderia non presente",
    "izabe tesisi listelenmemis",
}
_NOT_IDENTIFIED = {
    "smelter not yet identified",
    "冶炼厂尚未被识别",
    "製錬業者を特定していない",
    "제련소가 아직 식별되지 않음",
    "fundicao ainda nao identificada",
    "fonderia non ancora identificata",
    "izabe tesisi henuz tanimlanmamis",
}
# Yes in every language of the templates' L sheets (AMRT 1.3 localizes the dropdown).
_YES = {"yes", "y", "是", "はい", "예", "oui", "sim", "ja", "si", "sí", "sì", "evet", "true"}

# RMI's dropdown spellings (ISO short names) that pycountry does not resolve on its own.
_RMI_COUNTRY_ALIASES: dict[str, str] = {
    "CONGO, DEMOCRATIC REPUBLIC OF THE": "COD",
    "CONGO, THE DEMOCRATIC REPUBLIC OF THE": "COD",
    "CONGO": "COG",
    "TAIWAN, PROVINCE OF CHINA": "TWN",
    "KOREA, REPUBLIC OF": "KOR",
    "KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF": "PRK",
    "BOLIVIA (PLURINATIONAL STATE OF)": "BOL",
    "VIET NAM": "VNM",
    "RUSSIAN FEDERATION": "RUS",
    "IRAN (ISLAMIC REPUBLIC OF)": "IRN",
    "TANZANIA, UNITED REPUBLIC OF": "TZA",
    "LAO PEOPLE'S DEMOCRATIC REPUBLIC": "LAO",
    "UNITED STATES OF AMERICA": "USA",
    "UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND": "GBR",
    "VENEZUELA (BOLIVARIAN REPUBLIC OF)": "VEN",
}

_LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "co", "company", "corp", "corporation",
        "gmbh", "llc", "llp", "lp", "plc", "sa", "ag", "bv", "nv", "kk", "spa", "srl", "sas",
        "sarl", "pte", "pty", "oy", "ab", "as", "kg", "se", "ltda", "cv", "de", "the",
    }
)  # fmt: skip
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "株式会社", "주식회사", "公司")

_SMELTER_COLUMNS = [
    "smelter_id", "metal", "metal_known", "smelter_name", "country", "country_iso3",
    "recycled", "street", "city", "state", "company", "companies", "files", "source_row",
]  # fmt: skip
_ROW_COLUMNS = [
    "smelter_id", "metal", "metal_known", "smelter_name", "country", "country_iso3",
    "recycled", "street", "city", "state", "company", "file", "source_row", "key",
]  # fmt: skip
_MINE_COLUMNS = [
    "metal", "metal_known", "mine_name", "mine_id", "smelter_name", "country", "country_iso3",
    "company", "file", "source_row",
]  # fmt: skip


# --- public models -----------------------------------------------------------------------------


class DeclarationFile(BaseModel):
    """One readable supplier declaration."""

    model_config = ConfigDict(frozen=True)

    path: str
    template: TemplateKind | None
    version: str | None
    company: str | None
    scope: str | None
    date: str | None
    smelter_rows: int
    not_listed: int
    not_identified: int
    mine_rows: int
    metals: list[str]
    not_listed_by_metal: dict[str, int] = {}
    not_identified_by_metal: dict[str, int] = {}
    intentionally_added: dict[str, str] = {}
    """Question 1 answer per metal id ("Yes", "No", ...), where the template answers it."""


class DeclarationProblem(BaseModel):
    """A file (or part of one) that could not be used; `message` names file and sheet."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str
    hint: str | None = None


@dataclass
class DeclarationSet:
    """Everything read from a set of supplier declarations."""

    files: list[DeclarationFile]
    smelters: pd.DataFrame
    mines: pd.DataFrame
    problems: list[DeclarationProblem]
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_ROW_COLUMNS))
    """Every usable smelter row before de-duplication (one per file and row)."""

    def processing_shares(self, metal: str, company: str | None = None) -> dict[str, float]:
        """Equal-weight country shares of the smelters declared for `metal`.

        Each distinct smelter counts once (per RMI id). Recycled smelters count under
        "RECYCLED", smelters with no resolvable country under "UNKNOWN". With `company`, only
        smelters that company declared count. `{}` when none.
        """
        table = self._company_rows(self.rows, company) if company else self.smelters
        table = table[table["metal"] == metal_id(metal)]
        if "key" in table.columns:
            table = table.drop_duplicates("key")
        if table.empty:
            return {}
        keys = [
            RECYCLED if bool(rec) else (iso or UNKNOWN)
            for rec, iso in zip(table["recycled"], table["country_iso3"], strict=True)
        ]
        return _equal_shares(keys)

    def mining_shares(self, metal: str, company: str | None = None) -> dict[str, float]:
        """Equal-weight country shares of the mines declared for `metal` (Mine List)."""
        table = self._company_rows(self.mines, company) if company else self.mines
        table = table[table["metal"] == metal_id(metal)]
        if table.empty:
            return {}
        # The same mine named by two files counts once.
        table = table.assign(
            _k=table["mine_id"].fillna("") + "|" + table["mine_name"].map(lambda v: _fold(v or ""))
        )
        table = table.drop_duplicates("_k")
        return _equal_shares([iso or UNKNOWN for iso in table["country_iso3"]])

    def companies(self) -> list[str]:
        """Declaring companies, in file order, one entry per normalized name."""
        seen: dict[str, str] = {}
        for f in self.files:
            if f.company and normalize_company(f.company) not in seen:
                seen[normalize_company(f.company)] = f.company
        return list(seen.values())

    @staticmethod
    def _company_rows(table: pd.DataFrame, company: str) -> pd.DataFrame:
        wanted = normalize_company(company)
        return table[table["company"].map(lambda c: normalize_company(c or "") == wanted)]


# --- public helpers ----------------------------------------------------------------------------


def normalize_company(name: str | None) -> str:
    """Fold a company name for matching: case, accents, punctuation and legal suffixes go.

    >>> normalize_company("ACME Metals Co., Ltd.") == normalize_company("Acme metals")
    True
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    for suffix in _CJK_SUFFIXES:  # why: CJK names carry the legal form glued to the name
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", text)  # "S.A." -> "sa", "K.K." -> "kk"
    tokens = re.sub(r"[\W_]+", " ", text).split()
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def metal_id(name: Any) -> str:
    """Map a template metal name ("Tantalum", "Rare Earth Elements", "钴") to a mineral id."""
    text = _text(name)
    if not text:
        return ""
    key = _fold(text.replace("(*)", ""))
    if key in METAL_IDS:
        return METAL_IDS[key]
    return re.sub(r"[^0-9a-z]+", "_", key).strip("_") or key


def read_declarations(
    paths: Sequence[Path | str], aliases: Mapping[str, str] | None = None
) -> DeclarationSet:
    """Read supplier RMI declarations from files and folders.

    A folder means every .xlsx/.xlsm/.xls file directly in it (sorted; Excel lock files "~$*"
    skipped). Bad files become `problems`; this never raises for a user's file. `aliases`
    (spelling -> ISO3) is passed to `to_iso3` on top of RMI's own country spellings.
    """
    country_aliases = {**_RMI_COUNTRY_ALIASES, **(aliases or {})}
    files: list[DeclarationFile] = []
    problems: list[DeclarationProblem] = []
    smelter_parts: list[pd.DataFrame] = []
    mine_parts: list[pd.DataFrame] = []
    for path in _expand(paths):
        if isinstance(path, DeclarationProblem):
            problems.append(path)
            continue
        result = _read_file(path, country_aliases)
        problems.extend(result.problems)
        if result.file is not None:
            files.append(result.file)
            smelter_parts.append(result.smelters)
            mine_parts.append(result.mines)
    rows = _concat(smelter_parts, _ROW_COLUMNS)
    mines = _concat(mine_parts, _MINE_COLUMNS)
    return DeclarationSet(
        files=files, smelters=_dedupe(rows), mines=mines, problems=problems, rows=rows
    )


# --- file discovery ----------------------------------------------------------------------------


def _expand(paths: Iterable[Path | str]) -> list[Path | DeclarationProblem]:
    """Files to read, in order; a missing path or an empty folder is a problem in its place."""
    out: list[Path | DeclarationProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in EXCEL_SUFFIXES
                and not p.name.startswith("~$")
            )
            if not found:
                out.append(
                    DeclarationProblem(
                        path=str(path),
                        message=f"{path}: folder has no .xlsx/.xlsm/.xls declarations",
                        hint="put the suppliers' CMRT/EMRT/CRT/AMRT files directly in the folder",
                    )
                )
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            out.append(
                DeclarationProblem(
                    path=str(path),
                    message=f"{path}: no such file or folder",
                    hint="check the path given to --smelters",
                )
            )
    return out


# --- one file ----------------------------------------------------------------------------------


@dataclass
class _FileResult:
    file: DeclarationFile | None
    smelters: pd.DataFrame
    mines: pd.DataFrame
    problems: list[DeclarationProblem]


_Grid = list[list[Any]]

_OPEN_ERRORS: tuple[type[BaseException], ...] = (
    python_calamine.CalamineError,
    OSError,
    ValueError,
    zipfile.BadZipFile,
    UnicodeDecodeError,
)


def _read_file(path: Path, aliases: Mapping[str, str]) -> _FileResult:
    name = path.name
    problems: list[DeclarationProblem] = []

    def problem(message: str, hint: str | None) -> None:
        problems.append(DeclarationProblem(path=str(path), message=message, hint=hint))

    def failed() -> _FileResult:
        return _FileResult(None, _empty(_ROW_COLUMNS), _empty(_MINE_COLUMNS), problems)

    if path.suffix.lower() != ".xls" and _is_ole_container(path):
        # An .xlsx/.xlsm inside an OLE container is how Excel stores an encrypted workbook.
        problem(
            f"{name}: workbook is password protected (encrypted), or an old .xls renamed",
            "ask the supplier for an unprotected .xlsx copy",
        )
        return failed()
    refused = _unsafe(path)
    if refused is not None:
        problem(refused.message, refused.hint)
        return failed()
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = _Sheets(book)
    except python_calamine.PasswordError:
        problem(
            f"{name}: workbook is password protected", "ask the supplier for an unprotected copy"
        )
        return failed()
    except _OPEN_ERRORS as exc:
        problem(
            f"{name}: cannot be opened as an Excel workbook ({_one_line(exc)})",
            "re-save it from Excel as .xlsx or ask the supplier to send it again",
        )
        return failed()

    try:
        return _read_book(path, sheets, aliases, problems)
    except _OPEN_ERRORS as exc:  # a damaged sheet inside an otherwise readable zip
        problem(
            f"{name}: a sheet cannot be read ({_one_line(exc)})",
            "re-save it from Excel as .xlsx or ask the supplier to send it again",
        )
        return failed()


def _read_book(
    path: Path, sheets: _Sheets, aliases: Mapping[str, str], problems: list[DeclarationProblem]
) -> _FileResult:
    name = path.name

    def problem(message: str, hint: str | None) -> None:
        problems.append(DeclarationProblem(path=str(path), message=message, hint=hint))

    kind = sheets.kind()
    if kind is None or sheets.index.get("smelter_list") is None:
        problem(
            f"{name}: not an RMI reporting template (no Declaration/Smelter List sheets with a "
            "CMRT, EMRT, CRT or AMRT revision stamp)",
            "ask the supplier for a filled CMRT, EMRT, CRT or AMRT in the RMI's Excel template",
        )
        return _FileResult(None, _empty(_ROW_COLUMNS), _empty(_MINE_COLUMNS), problems)

    version = sheets.version()
    major = int(version.split(".")[0]) if version else _LATEST_MAJOR[kind]
    layout = _LAYOUTS.get((kind, major)) or _LAYOUTS[(kind, _LATEST_MAJOR[kind])]
    if version is None or version not in _KNOWN_VERSIONS[kind]:
        problem(
            f"{name}: {kind} version {version or '(no revision stamp)'} is not one this tool "
            f"knows; read with the {kind} {_LATEST_MAJOR[kind]}.x cell positions",
            "check the smelters read from this file, or ask for a current RMI template",
        )

    grid_sl = sheets.grid("smelter_list")
    if not _smelter_layout_matches(grid_sl):
        problem(
            f"{name}: sheet '{sheets.name('smelter_list')}' does not have the RMI Smelter List "
            "layout (headers in row 4, columns A-Q)",
            "ask the supplier to send the declaration in an unmodified RMI template",
        )
        return _FileResult(None, _empty(_ROW_COLUMNS), _empty(_MINE_COLUMNS), problems)

    decl = sheets.grid("declaration") if "declaration" in sheets.index else []
    if not decl:
        problem(
            f"{name}: no Declaration sheet; company, scope and date are unknown",
            "ask the supplier to fill the Declaration tab",
        )
    company = _text(_at(decl, _COMPANY_CELL)) or None
    scope = _text(_at(decl, _SCOPE_CELL)) or None
    date = _date_text(_at(decl, layout.date))
    q1 = _question1(decl, layout)

    lookup = _Lookup(sheets.grid("lookup") if "lookup" in sheets.index else [])
    markers = {_fold(_text(_at(grid_sl, ref))) for ref in layout.not_listed_marker_cols} - {""}
    smelters, not_listed, not_identified = _smelter_rows(grid_sl, lookup, markers, aliases)
    smelters["company"] = company
    smelters["file"] = str(path)

    mines = _empty(_MINE_COLUMNS)
    if "mine_list" in sheets.index:
        mines = _mine_rows(sheets.grid("mine_list"), aliases)
        mines["company"] = company
        mines["file"] = str(path)

    if smelters.empty:
        what = "has no smelter rows (row 5 onward is empty)"
        if not_listed or not_identified:
            what = (
                f"names no identified smelter ({sum(not_listed.values())} 'Smelter not listed', "
                f"{sum(not_identified.values())} 'Smelter not yet identified' rows)"
            )
        problem(
            f"{name}: sheet '{sheets.name('smelter_list')}' {what}",
            "ask the supplier to complete the Smelter List with RMI smelter ids",
        )

    scope_metals = {
        metal_id(v)
        for ref in layout.scope_cells
        if (v := _text(_at(decl, ref))) and not v.startswith("(")  # "(Delete Mica)"
    }
    metals = sorted(
        set(smelters["metal"]) | set(mines["metal"]) | set(not_listed) | set(not_identified)
        | {m for m in scope_metals if m}
    )  # fmt: skip
    declaration = DeclarationFile(
        path=str(path),
        template=kind,
        version=version,
        company=company,
        scope=scope,
        date=date,
        smelter_rows=len(smelters),
        not_listed=sum(not_listed.values()),
        not_identified=sum(not_identified.values()),
        mine_rows=len(mines),
        metals=[m for m in metals if m],
        not_listed_by_metal=not_listed,
        not_identified_by_metal=not_identified,
        intentionally_added=q1,
    )
    return _FileResult(declaration, smelters, mines, problems)


class _Sheets:
    """Finds the template's sheets by English name, content markers, then tab position."""

    def __init__(self, book: python_calamine.CalamineWorkbook) -> None:
        self.book = book
        self.names: list[str] = list(book.sheet_names)
        self.index: dict[str, int] = {}
        self._grids: dict[int, _Grid] = {}
        for i, sheet_name in enumerate(self.names):
            role = _ENGLISH_SHEETS.get(sheet_name.strip().casefold())
            if role and role not in self.index:
                self.index[role] = i
        english = bool(self.index)
        missing = {"declaration", "smelter_list", "lookup", "mine_list"} - set(self.index)
        if missing:
            self._find_by_content(missing)
        kind = self.kind()
        if kind and not english:  # positions only when the tab names are all localized
            for role, pos in _TAB_POSITIONS[kind].items():
                if (
                    role not in self.index
                    and pos < len(self.names)
                    and pos not in self.index.values()
                ):
                    self.index[role] = pos

    def _find_by_content(self, missing: set[str]) -> None:
        for i in range(len(self.names)):
            if i in self.index.values():
                continue
            head = self._head(i, 30)
            if "declaration" in missing and (
                _ACRONYM.search(_text(_at(head, _TITLE_DECLARATION)))
                or _stamp(_at(head, _STAMP_DECLARATION))
            ):
                self.index["declaration"] = i
                missing.discard("declaration")
            elif "smelter_list" in missing and _stamp(_at(head, _STAMP_SMELTER_LIST)):
                self.index["smelter_list"] = i
                missing.discard("smelter_list")
            elif "mine_list" in missing and _stamp(_at(head, _STAMP_MINE_LIST)):
                self.index["mine_list"] = i
                missing.discard("mine_list")
            elif (
                "lookup" in missing
                and sum(
                    bool(_CID.match(_text(r[_L_ID]) if len(r) > _L_ID else "")) for r in head[4:]
                )
                >= 5
            ):
                self.index["lookup"] = i
                missing.discard("lookup")
            if not missing:
                return

    def _head(self, i: int, nrows: int) -> _Grid:
        if i in self._grids:
            return self._grids[i][:nrows]
        return self.book.get_sheet_by_index(i).to_python(skip_empty_area=False, nrows=nrows)

    def grid(self, role: str) -> _Grid:
        i = self.index[role]
        if i not in self._grids:
            self._grids[i] = self.book.get_sheet_by_index(i).to_python(skip_empty_area=False)
        return self._grids[i]

    def name(self, role: str) -> str:
        return self.names[self.index[role]] if role in self.index else role

    def kind(self) -> TemplateKind | None:
        if "declaration" in self.index:
            m = _ACRONYM.search(_text(_at(self._head(self.index["declaration"], 3), "D2")))
            if m:
                return _ACRONYMS[m.group(1)]
        if "revision" in self.index:
            # Literal English title under "DOCUMENT TITLE": A2 in CMRT/CRT, B3 in EMRT/AMRT.
            head = self._head(self.index["revision"], 5)
            title = " ".join(_fold(_text(v)) for row in head for v in row[:4])
            for text, kind in _TITLES.items():
                if text in title:
                    return kind
        if "smelter_list" in self.index:
            # Hidden metal lists in the Smelter List header rows.
            head = self._head(self.index["smelter_list"], 4)
            row3 = {_fold(_text(v)) for v in (head[2] if len(head) > 2 else [])}
            if {"tantalum", "tin", "tungsten", "gold"} <= row3:
                return "CMRT"
            if {"cobalt", "mica"} <= row3:
                return "EMRT"
            if "cobalt" in row3:
                return "CRT"
        return None

    def version(self) -> str | None:
        for role, ref in (
            ("declaration", _STAMP_DECLARATION),
            ("smelter_list", _STAMP_SMELTER_LIST),
            ("mine_list", _STAMP_MINE_LIST),
        ):
            if role in self.index:
                found = _stamp(_at(self._head(self.index[role], 4), ref))
                if found:
                    return found
        if "revision" in self.index:
            versions = [
                _text(r[0])
                for r in self.grid("revision")
                if r and re.fullmatch(r"\d+\.\d+[a-z]?", _text(r[0]))
            ]
            if versions:
                return versions[-1]
        return None


def _stamp(value: Any) -> str | None:
    """'Revision 6.5\\nApril 25, 2025' -> '6.5' ('Version 1.3' too, any label language)."""
    m = _STAMP.match(_text(value))
    return m.group(1) if m else None


def _smelter_layout_matches(grid: _Grid) -> bool:
    """True when the literal revision stamp sits in Q3 or row 4 holds the A-Q headers.

    The headers are formulas whose cached text is in the file's language (only their presence
    is checked); files written by tools other than Excel carry no cached values at all, so the
    literal stamp in Q3 is accepted on its own.
    """
    if len(grid) <= _SL_HEADER_ROW:
        return False
    if _stamp(_at(grid, _STAMP_SMELTER_LIST)):
        return True
    return sum(bool(_text(v)) for v in grid[_SL_HEADER_ROW][:17]) >= 12


class _Lookup:
    """The file's own embedded RMI Smelter Look-up: id -> (country, standard name)."""

    def __init__(self, grid: _Grid) -> None:
        self.by_id: dict[str, tuple[str, str]] = {}
        self.by_alias: dict[tuple[str, str], str] = {}
        for row in grid[_SL_FIRST_ROW:]:
            if len(row) <= _L_ID:
                continue
            sid = _text(row[_L_ID]).upper()
            if not _CID.match(sid):
                continue
            self.by_id.setdefault(sid, (_text(row[_L_COUNTRY]), _text(row[_L_STD])))
            metal = metal_id(row[_L_METAL])
            for col in (_L_ALIAS, _L_STD):
                alias = _fold(_text(row[col]))
                if alias:
                    self.by_alias.setdefault((metal, alias), sid)


def _smelter_rows(
    grid: _Grid, lookup: _Lookup, markers: set[str], aliases: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    records: list[dict[str, Any]] = []
    not_listed: dict[str, int] = {}
    not_identified: dict[str, int] = {}
    not_listed_words = _NOT_LISTED | {m for m in markers if "listed" in m}
    not_identified_words = _NOT_IDENTIFIED | {m for m in markers if "identified" in m}
    for r, row in enumerate(grid[_SL_FIRST_ROW:], start=_SL_FIRST_ROW + 1):
        cells = [_text(v) for v in row[:19]] + [""] * max(0, 19 - len(row))
        input_id, metal_raw, pick, name, country = cells[:5]
        if not (input_id or pick or name or country or cells[_C_ID]):
            continue  # blank row (metal alone, or formula helpers only)
        metal = metal_id(metal_raw)
        said = {_fold(v) for v in (pick, name, cells[_C_ID])}
        if said & not_listed_words:
            not_listed[metal] = not_listed.get(metal, 0) + 1
            continue
        if said & not_identified_words:
            not_identified[metal] = not_identified.get(metal, 0) + 1
            continue
        sid = next((v.upper() for v in (cells[_C_ID], input_id) if _CID.match(v.upper())), None)
        if sid is None and pick:  # formulas not recalculated: resolve the dropdown choice
            sid = lookup.by_alias.get((metal, _fold(pick)))
        looked = lookup.by_id.get(sid or "", ("", ""))
        smelter_name = name or cells[_C_STD_NAME] or pick or looked[1]
        if _fold(country) in {"", "unknown"}:
            country = looked[0] or country
        if _fold(country) in {"", "unknown"} and len(cells[_C_COUNTRY_CODE]) == 2:
            country = cells[_C_COUNTRY_CODE]  # hidden ISO alpha-2 helper column
        records.append(
            {
                "smelter_id": sid,
                "metal": metal,
                "metal_known": metal in _KNOWN_METALS,
                "smelter_name": smelter_name or None,
                "country": country or None,
                "recycled": _fold(cells[_C_RECYCLED]) in _YES or cells[_C_RECYCLED] in _YES,
                "street": cells[_C_STREET] or None,
                "city": cells[_C_CITY] or None,
                "state": cells[_C_STATE] or None,
                "source_row": r,
                "key": sid or f"name:{metal}:{_fold(smelter_name)}",
            }
        )
    frame = _frame(records, _ROW_COLUMNS)
    frame["country_iso3"] = _iso3(frame["country"], aliases)
    return _typed(frame), not_listed, not_identified


def _mine_rows(grid: _Grid, aliases: Mapping[str, str]) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for r, row in enumerate(grid[_SL_FIRST_ROW:], start=_SL_FIRST_ROW + 1):
        cells = [_text(v) for v in row[:6]] + [""] * max(0, 6 - len(row))
        if not (cells[_M_NAME] or cells[_M_ID] or cells[_M_COUNTRY]):
            continue
        metal = metal_id(cells[_M_METAL])
        records.append(
            {
                "metal": metal,
                "metal_known": metal in _KNOWN_METALS,
                "mine_name": cells[_M_NAME] or None,
                "mine_id": cells[_M_ID] or None,
                "smelter_name": cells[_M_SMELTER] or None,
                "country": cells[_M_COUNTRY] or None,
                "source_row": r,
            }
        )
    frame = _frame(records, _MINE_COLUMNS)
    frame["country_iso3"] = _iso3(frame["country"], aliases)
    return _typed(frame)


def _question1(decl: _Grid, layout: _Layout) -> dict[str, str]:
    """Question 1 (metal intentionally added) per metal, from the fixed answer rows."""
    answers: dict[str, str] = {}
    for row, fixed in zip(layout.q1_rows, layout.q1_metals, strict=True):
        metal = fixed or metal_id(_at(decl, f"B{row}"))
        value = _at(decl, f"D{row}")
        if metal and value not in (None, ""):
            answers[metal] = _text(value)
    return answers


def _dedupe(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per smelter (RMI id, else metal+name): first occurrence kept, files joined."""
    if rows.empty:
        return _empty(_SMELTER_COLUMNS)
    grouped = rows.groupby("key", sort=False)
    first = grouped.head(1).set_index("key")
    files = grouped["file"].agg(lambda s: ";".join(dict.fromkeys(s)))
    companies = grouped["company"].agg(lambda s: ";".join(dict.fromkeys(c for c in s if c)))
    first = first.assign(files=files, companies=companies)
    return _typed(first.reset_index(drop=True)[_SMELTER_COLUMNS])


# --- small helpers -----------------------------------------------------------------------------


def _equal_shares(keys: list[str]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    total = len(keys)
    return {k: n / total for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def _iso3(values: pd.Series, aliases: Mapping[str, str]) -> pd.Series:
    if values.empty:
        return pd.Series([], dtype=object, index=values.index)
    return to_iso3(values, aliases)


def _at(grid: _Grid, ref: str) -> Any:
    r, c = _cell(ref)
    if r < len(grid) and c < len(grid[r]):
        return grid[r][c]
    return None


def _text(value: Any) -> str:
    """Cell value as stripped text; numbers that are whole print without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _fold(text: str) -> str:
    """Casefold, strip accents and punctuation; keeps CJK letters (unlike text.fold)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


_DATE_FORMATS = ("%d-%b-%Y", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")


def _date_text(value: Any) -> str | None:
    """Effective date as ISO 'YYYY-MM-DD' when recognisable, else the text as written."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and 20000 < value < 80000:  # an Excel serial left as a number
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat()
    text = _text(value)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text or None


def _unsafe(path: Path) -> BomReadError | None:
    """Why a zip container (xlsx) is refused before it is opened (zip bombs, lying sizes,
    sheets spanning too many cells, entity declarations: `bom.safety`), or None."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        check_zip_container(path, path.name, what="the declaration")
    except BomReadError as exc:
        return exc
    return None


def _is_ole_container(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Object columns holding None for blanks (pandas 3 would infer `str` with NaN)."""
    return pd.DataFrame(
        {c: pd.Series([rec.get(c) for rec in records], dtype=object) for c in columns}
    )


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return _empty(columns)
    return _typed(pd.concat(parts, ignore_index=True)[columns])


_BOOL_COLUMNS = frozenset({"recycled", "metal_known"})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes whatever pandas infers: bool flags, int64 rows, object text with None."""
    out: dict[str, pd.Series] = {}
    for col in frame.columns:
        if col in _BOOL_COLUMNS:
            out[col] = frame[col].astype(bool)
        elif col == "source_row":
            out[col] = frame[col].astype("int64")
        else:
            values = frame[col].astype(object)
            out[col] = values.where(values.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def describe_declarations(
    paths: Sequence[str | Path], aliases: dict[str, str] | None = None
) -> dict[str, Any]:
    """Read supplier RMI templates (files or folders) and summarise them.

    Returns `{"files": [...], "smelters": [...], "mines": [...], "problems": [...]}`: per file
    the template, version, company, scope, date and counts; the smelters de-duplicated by RMI
    id across files (metal, name, country ISO3, RMI id, recycled, declaring files); problems
    as `{path, message, hint}`. Never raises for a bad file.
    """
    declared = read_declarations([Path(p) for p in paths], aliases=aliases)

    def value(v: Any) -> Any:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            return None
        return v.item() if hasattr(v, "item") else v

    smelters = []
    table = declared.smelters.sort_values(
        ["metal", "smelter_name", "smelter_id"], kind="stable", na_position="last"
    )
    for row in table.itertuples(index=False):
        files = value(row.files)
        smelters.append(
            {
                "metal": value(row.metal),
                "name": value(row.smelter_name),
                "country": value(row.country),
                "country_iso3": value(row.country_iso3),
                "rmi_id": value(row.smelter_id),
                "recycled": bool(value(row.recycled)) if value(row.recycled) is not None else None,
                "files": [f for f in str(files or "").split(";") if f],
            }
        )
    mines = [
        {
            "metal": value(r.metal),
            "name": value(r.mine_name),
            "mine_id": value(r.mine_id),
            "country_iso3": value(r.country_iso3),
            "file": value(r.file),
        }
        for r in declared.mines.itertuples(index=False)
    ]
    return {
        "files": [f.model_dump(mode="json") for f in declared.files],
        "smelters": smelters,
        "mines": mines,
        "problems": [p.model_dump(mode="json") for p in declared.problems],
    }
