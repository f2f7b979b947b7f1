"""Tests for exposure_audit.declarations.rmi (RMI CMRT/EMRT/CRT/AMRT reader).

Template tests fill copies of the official templates from ../shared/rmi-templates (skipped when
absent); synthetic tests build small look-alike workbooks and always run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exposure_audit.declarations.rmi import (
    DeclarationSet,
    metal_id,
    normalize_company,
    read_declarations,
)

from declarations_helpers import (
    TEMPLATES_DIR,
    FillSpec,
    fill_all,
    listed_row,
    lookup_entries,
    make_fake_template,
    pick,
)

CHINA, INDONESIA, RWANDA = "CHINA", "INDONESIA", "RWANDA"
BOLIVIA = "BOLIVIA (PLURINATIONAL STATE OF)"
DRC = "CONGO, DEMOCRATIC REPUBLIC OF THE"

needs_templates = pytest.mark.skipif(
    not TEMPLATES_DIR.is_dir(), reason=f"RMI templates not found at {TEMPLATES_DIR}"
)


# --- filled copies of the official templates ------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Fill one copy of each template (in parallel) and remember the smelters picked."""
    if not TEMPLATES_DIR.is_dir():
        pytest.skip(f"RMI templates not found at {TEMPLATES_DIR}")
    out = tmp_path_factory.mktemp("rmi")
    t = {name: TEMPLATES_DIR / f"RMI_{name}.xlsx" for name in
         ("CMRT_6.5", "CMRT_6.31", "EMRT_2.1", "EMRT_1.3", "CRT_2.21", "AMRT_1.3")}  # fmt: skip
    look = {name: lookup_entries(path) for name, path in t.items()}

    ids_631 = {e.cid for e in look["CMRT_6.31"]}
    cmrt65 = [e for e in look["CMRT_6.5"] if e.cid in ids_631]  # same smelter in both files
    tin_cn = pick(cmrt65, "Tin", CHINA)
    tin_cn2 = pick(cmrt65, "Tin", CHINA, 1)
    tin_id = pick(cmrt65, "Tin", INDONESIA)
    tin_id2 = pick(look["CMRT_6.31"], "Tin", INDONESIA, 1)
    tin_bo = pick(cmrt65, "Tin", BOLIVIA)
    tin_rw = pick(cmrt65, "Tin", RWANDA)
    ta_rw = pick(look["CMRT_6.31"], "Tantalum", RWANDA)
    au_cn = pick(cmrt65, "Gold", CHINA)
    co_cn = pick(look["EMRT_2.1"], "Cobalt", CHINA)
    co_cd = pick(look["EMRT_2.1"], "Cobalt", DRC)
    mica_cn = pick(look["EMRT_2.1"], "Mica", CHINA)
    li_cn = pick(look["EMRT_2.1"], "Lithium", CHINA)

    specs = [
        FillSpec(
            str(t["CMRT_6.5"]),
            str(out / "a_cmrt65.xlsx"),
            declaration={
                "D8": "Acme Metals Co., Ltd.",
                "D9": "A. Company",
                "D22": dt.datetime(2025, 5, 1),
                "D26": "Yes",
                "D27": "Yes",
                "D28": "Yes",
                "D29": "No",
            },  # fmt: skip
            smelter_rows=[
                listed_row(tin_cn),
                listed_row(tin_id),
                listed_row(tin_bo),
                listed_row(tin_rw, recycled="Yes"),
                {"B": "Tin", "C": "Smelter not listed", "D": "Backyard Tin Works", "E": CHINA},
                {"B": "Tungsten", "C": "Smelter not yet identified", "D": "Unknown"},
                # Country left blank: must come from the file's own Smelter Look-up by id.
                {"A": tin_cn2.cid, "B": "Tin", "F": tin_cn2.cid},
                listed_row(au_cn),
            ],
        ),
        FillSpec(
            str(t["CMRT_6.31"]),
            str(out / "b_cmrt631.xlsx"),
            declaration={"D8": "Borealis Components GmbH", "D22": "15-Mar-2025"},
            smelter_rows=[
                listed_row(tin_cn),
                listed_row(tin_id2),
                listed_row(ta_rw),
                {"B": "Tin", "C": "Smelter Not Listed", "D": "Somewhere Smelting", "E": BOLIVIA},
            ],
        ),
        FillSpec(
            str(t["EMRT_2.1"]),
            str(out / "c_emrt21.xlsx"),
            declaration={"D8": "Cobalt Cells Ltd", "D26": "01-Jun-2025"},
            smelter_rows=[
                listed_row(co_cn),
                listed_row(co_cd),
                listed_row(mica_cn),
                listed_row(li_cn, recycled="Yes"),
                {"B": "Cobalt", "C": "Smelter not listed", "D": "New Cobalt Refinery", "E": CHINA},
            ],
            mine_rows=[
                {"A": "Cobalt", "C": "Kamoto Mine", "F": DRC},
                {"A": "Lithium", "C": "Greenbushes", "F": "AUSTRALIA"},
            ],
        ),
        FillSpec(
            str(t["EMRT_1.3"]),
            str(out / "d_emrt13.xlsx"),
            declaration={"D8": "Delta Mica K.K.", "D26": "Yes", "D27": "No"},
            smelter_rows=[
                listed_row(pick(look["EMRT_1.3"], "Cobalt", INDONESIA)),
                listed_row(pick(look["EMRT_1.3"], "Mica", CHINA)),
                {"B": "Cobalt", "C": "Smelter not yet identified", "D": "Unknown"},
            ],
        ),
        FillSpec(
            str(t["CRT_2.21"]),
            str(out / "e_crt221.xlsx"),
            declaration={"D8": "Echo Batteries Inc."},
            smelter_rows=[
                listed_row(pick(look["CRT_2.21"], "Cobalt", CHINA), recycled="Yes"),
                listed_row(pick(look["CRT_2.21"], "Cobalt", DRC)),
                {"B": "Cobalt", "C": "Smelter not listed", "D": "Unlisted Co", "E": DRC},
            ],
        ),
        FillSpec(
            str(t["AMRT_1.3"]),
            str(out / "f_amrt13.xlsx"),
            declaration={"D8": "Foxtrot Alloys SA", "D27": dt.datetime(2025, 11, 2)},
            smelter_rows=[
                # AMRT localizes the recycled dropdown: "是" is Chinese for Yes.
                listed_row(pick(look["AMRT_1.3"], "Aluminum", INDONESIA), recycled="是"),
                listed_row(pick(look["AMRT_1.3"], "Rare Earth Elements", CHINA)),
                listed_row(pick(look["AMRT_1.3"], "Silver", BOLIVIA)),
                {"B": "Zinc", "C": "Smelter not listed", "D": "Zinc Unlisted", "E": CHINA},
            ],
            mine_rows=[{"A": "Aluminum", "C": "Sangaredi", "F": "GUINEA"}],
        ),
    ]
    paths = [Path(p) for p in fill_all(specs)]
    return {
        "dir": out,
        "paths": {p.name: p for p in paths},
        "tin_cn": tin_cn,
        "tin_cn2": tin_cn2,
        "tin_rw": tin_rw,
        "co_cd": co_cd,
        "mica_cn": mica_cn,
    }


@pytest.fixture(scope="module")
def decl(filled: dict[str, object]) -> DeclarationSet:
    return read_declarations([filled["dir"]])  # type: ignore[list-item]


def _file(decl: DeclarationSet, name: str):  # noqa: ANN202 - test helper
    return next(f for f in decl.files if Path(f.path).name == name)


@needs_templates
def test_every_template_is_detected_with_its_version(decl: DeclarationSet) -> None:
    got = {Path(f.path).name: (f.template, f.version) for f in decl.files}
    assert got == {
        "a_cmrt65.xlsx": ("CMRT", "6.5"),
        "b_cmrt631.xlsx": ("CMRT", "6.31"),
        "c_emrt21.xlsx": ("EMRT", "2.1"),
        "d_emrt13.xlsx": ("EMRT", "1.3"),
        "e_crt221.xlsx": ("CRT", "2.2"),  # CRT 2.21 stamps itself "Revision 2.2"
        "f_amrt13.xlsx": ("AMRT", "1.3"),
    }
    assert decl.problems == []


@needs_templates
def test_declaration_cells(decl: DeclarationSet) -> None:
    a = _file(decl, "a_cmrt65.xlsx")
    assert (a.company, a.scope, a.date) == ("Acme Metals Co., Ltd.", "A. Company", "2025-05-01")
    assert a.intentionally_added == {
        "tantalum": "Yes",
        "tin": "Yes",
        "gold": "Yes",
        "tungsten": "No",
    }
    assert _file(decl, "b_cmrt631.xlsx").date == "2025-03-15"
    assert _file(decl, "c_emrt21.xlsx").date == "2025-06-01"
    assert _file(decl, "d_emrt13.xlsx").intentionally_added == {"cobalt": "Yes", "mica": "No"}
    assert _file(decl, "f_amrt13.xlsx").date == "2025-11-02"
    assert decl.companies()[:2] == ["Acme Metals Co., Ltd.", "Borealis Components GmbH"]


@needs_templates
def test_smelter_rows_counts_and_metals(decl: DeclarationSet) -> None:
    a = _file(decl, "a_cmrt65.xlsx")
    assert (a.smelter_rows, a.not_listed, a.not_identified) == (6, 1, 1)
    assert a.not_listed_by_metal == {"tin": 1}
    assert a.not_identified_by_metal == {"tungsten": 1}
    assert a.metals == ["gold", "tin", "tungsten"]
    assert (_file(decl, "b_cmrt631.xlsx").not_listed, _file(decl, "e_crt221.xlsx").not_listed) == (
        1,
        1,
    )
    assert _file(decl, "d_emrt13.xlsx").not_identified_by_metal == {"cobalt": 1}
    amrt = _file(decl, "f_amrt13.xlsx")
    assert (amrt.smelter_rows, amrt.not_listed_by_metal) == (3, {"zinc": 1})
    assert {"aluminum", "rare_earths", "silver"} <= set(amrt.metals)
    assert "Smelter not listed" not in set(decl.smelters["smelter_name"].dropna())


@needs_templates
def test_countries_map_to_iso3_and_raw_text_is_kept(decl: DeclarationSet, filled: dict) -> None:
    s = decl.smelters
    assert set(s["smelter_id"].dropna()).issuperset({filled["tin_cn"].cid, filled["co_cd"].cid})
    assert s["smelter_id"].str.fullmatch(r"CID\d{6}").all()
    by_country = dict(zip(s["country"], s["country_iso3"], strict=True))
    assert by_country[CHINA] == "CHN"
    assert by_country[INDONESIA] == "IDN"
    assert by_country[RWANDA] == "RWA"
    assert by_country[BOLIVIA] == "BOL"
    assert by_country[DRC] == "COD"


@needs_templates
def test_recycled_flag(decl: DeclarationSet, filled: dict) -> None:
    s = decl.smelters.set_index("smelter_id")
    assert bool(s.loc[filled["tin_rw"].cid, "recycled"]) is True
    assert s.loc[filled["tin_rw"].cid, "country_iso3"] == "RWA"  # stays listed with its country
    assert bool(s.loc[filled["tin_cn"].cid, "recycled"]) is False
    aluminum = decl.smelters[decl.smelters["metal"] == "aluminum"]
    assert aluminum["recycled"].tolist() == [True]  # AMRT's localized "是"


@needs_templates
def test_country_falls_back_to_the_files_own_lookup(decl: DeclarationSet, filled: dict) -> None:
    row = decl.smelters.set_index("smelter_id").loc[filled["tin_cn2"].cid]
    assert (row["country"], row["country_iso3"]) == (CHINA, "CHN")
    assert row["smelter_name"] == filled["tin_cn2"].standard_name
    assert row["source_row"] == 11


@needs_templates
def test_dedup_across_files_keeps_first_and_records_all_files(decl: DeclarationSet, filled) -> None:
    s = decl.smelters
    tin = s[s["smelter_id"] == filled["tin_cn"].cid]
    assert len(tin) == 1
    row = tin.iloc[0]
    assert row["company"] == "Acme Metals Co., Ltd."
    assert row["source_row"] == 5
    assert [Path(p).name for p in row["files"].split(";")] == ["a_cmrt65.xlsx", "b_cmrt631.xlsx"]
    rows = decl.rows[decl.rows["metal"].isin(["tin", "tantalum", "gold", "tungsten"])]
    assert set(rows.loc[rows.duplicated("smelter_id"), "smelter_id"]) == {filled["tin_cn"].cid}
    assert len(decl.rows) == len(s) + decl.rows.duplicated("key").sum()
    assert s["smelter_id"].is_unique


@needs_templates
def test_processing_shares(decl: DeclarationSet) -> None:
    # File a: tin in CHN x2 (one via look-up), IDN, BOL, recycled RWA; file b adds IDN #2.
    assert decl.processing_shares("tin") == pytest.approx(
        {"CHN": 2 / 6, "IDN": 2 / 6, "BOL": 1 / 6, "RECYCLED": 1 / 6}
    )
    # One of two tin smelters in China, for the company that declared them.
    assert decl.processing_shares("Tin", company="BOREALIS COMPONENTS") == {"CHN": 0.5, "IDN": 0.5}
    assert decl.processing_shares("tin", company="acme metals") == pytest.approx(
        {"CHN": 0.4, "IDN": 0.2, "BOL": 0.2, "RECYCLED": 0.2}
    )
    assert decl.processing_shares("cobalt", company="Echo Batteries") == {
        "COD": 0.5,
        "RECYCLED": 0.5,
    }
    assert decl.processing_shares("palladium") == {}
    assert sum(decl.processing_shares("cobalt").values()) == pytest.approx(1.0)


@needs_templates
def test_mica_is_kept_but_flagged_and_mines_are_read(decl: DeclarationSet, filled) -> None:
    mica = decl.smelters[decl.smelters["metal"] == "mica"]
    assert filled["mica_cn"].cid in set(mica["smelter_id"])
    assert not mica["metal_known"].any()
    assert decl.smelters[decl.smelters["metal"] == "tin"]["metal_known"].all()
    assert _file(decl, "c_emrt21.xlsx").mine_rows == 2
    assert decl.mining_shares("cobalt") == {"COD": 1.0}
    assert decl.mining_shares("aluminum", company="Foxtrot Alloys") == {"GIN": 1.0}
    assert decl.mining_shares("tin") == {}
    assert _file(decl, "d_emrt13.xlsx").mine_rows == 0  # EMRT 1.x has no Mine List


# --- synthetic workbooks (always run) -------------------------------------------------------------

LOOKUP = [
    ("Tin", "Alpha Tin", "Alpha Tin Smelter", "CHINA", "CID000001"),
    ("Tin", "Beta Tin", "Beta Tin Smelter", "INDONESIA", "CID000002"),
    ("Gold", "Gamma Gold", "Gamma Gold Refinery", "RWANDA", "CID000003"),
]
ROWS = [
    {"B": "Tin", "C": "Alpha Tin", "D": "Alpha Tin Smelter", "E": "CHINA", "F": "CID000001",
     "P": "No"},
    {"B": "Tin", "C": "Beta Tin", "F": "CID000002", "P": "Yes"},
    {"B": "Tin", "C": "Smelter not listed", "D": "Mystery", "E": "CHINA"},
]  # fmt: skip


def test_not_a_template_is_a_problem(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "part number"
    book.save(tmp_path / "bom.xlsx")
    got = read_declarations([tmp_path / "bom.xlsx"])
    assert got.files == []
    assert len(got.problems) == 1
    assert "bom.xlsx" in got.problems[0].message
    assert "not an RMI reporting template" in got.problems[0].message
    assert got.problems[0].hint
    assert list(got.smelters.columns)[:3] == ["smelter_id", "metal", "metal_known"]
    assert got.processing_shares("tin") == {}


def test_random_bytes_and_missing_paths_are_problems(tmp_path: Path) -> None:
    (tmp_path / "junk.xlsx").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.xls").write_bytes(b"")
    got = read_declarations(
        [tmp_path / "junk.xlsx", tmp_path / "empty.xls", tmp_path / "nope.xlsx"]
    )
    assert [Path(p.path).name for p in got.problems] == ["junk.xlsx", "empty.xls", "nope.xlsx"]
    assert "cannot be opened" in got.problems[0].message
    assert all("\n" not in p.message for p in got.problems)


def test_encrypted_workbook_is_a_problem(tmp_path: Path) -> None:
    # Excel writes password-protected workbooks as an OLE compound file, not a zip.
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    got = read_declarations([tmp_path / "locked.xlsx"])
    assert got.files == [] and "password protected" in got.problems[0].message


def test_mine_rows_without_a_name_still_count(tmp_path: Path) -> None:
    mines = [{"A": "Cobalt", "D": "CID900001", "F": "CHINA"}, {"A": "Cobalt", "F": "PERU"}]
    path = make_fake_template(
        tmp_path / "m.xlsx",
        title="Extended Minerals Reporting Template (EMRT)",
        stamp="Revision 2.1\nOctober 17, 2025",
        rows=[{"B": "Cobalt", "D": "Some Refinery", "E": "CHINA"}],
        mines=mines,
    )
    got = read_declarations([path])
    assert got.mining_shares("cobalt") == {"CHN": 0.5, "PER": 0.5}
    assert got.smelters["smelter_id"].tolist() == [None]  # no id: kept, keyed by name


def test_empty_smelter_list_is_a_problem(tmp_path: Path) -> None:
    path = make_fake_template(tmp_path / "empty.xlsx", rows=[], lookup=LOOKUP)
    got = read_declarations([path])
    assert len(got.files) == 1 and got.files[0].smelter_rows == 0
    assert len(got.problems) == 1
    assert (
        "'Smelter List'" in got.problems[0].message and "no smelter rows" in got.problems[0].message
    )


def test_folder_is_read_sorted_skipping_lock_and_other_files(tmp_path: Path) -> None:
    make_fake_template(tmp_path / "b.xlsx", company="Bravo Ltd", rows=ROWS[:1], lookup=LOOKUP)
    make_fake_template(tmp_path / "a.xlsx", company="Alpha Inc", rows=ROWS, lookup=LOOKUP)
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / "notes.txt").write_text("ignore me")
    (tmp_path / "sub").mkdir()
    make_fake_template(tmp_path / "sub" / "c.xlsx", rows=ROWS, lookup=LOOKUP)  # not recursive
    got = read_declarations([tmp_path])
    assert [Path(f.path).name for f in got.files] == ["a.xlsx", "b.xlsx"]
    assert got.problems == []
    assert got.companies() == ["Alpha Inc", "Bravo Ltd"]
    row = got.smelters.set_index("smelter_id").loc["CID000001"]
    assert row["files"].count(";") == 1
    # Beta's country is blank in the row: taken from the file's own look-up.
    beta = got.smelters.set_index("smelter_id").loc["CID000002"]
    assert (beta["country"], beta["country_iso3"], bool(beta["recycled"])) == (
        "INDONESIA",
        "IDN",
        True,
    )
    assert got.processing_shares("tin") == {"CHN": 0.5, "RECYCLED": 0.5}
    assert got.files[0].not_listed == 1 and got.files[0].date == "2025-04-25"


def test_empty_folder_is_a_problem(tmp_path: Path) -> None:
    got = read_declarations([tmp_path])
    assert len(got.problems) == 1 and "no .xlsx" in got.problems[0].message


def test_unknown_version_is_a_problem_but_rows_are_read(tmp_path: Path) -> None:
    path = make_fake_template(
        tmp_path / "future.xlsx", stamp="Revision 7.0\nJanuary 1, 2027", rows=ROWS, lookup=LOOKUP
    )
    got = read_declarations([path])
    assert got.files[0].version == "7.0" and got.files[0].template == "CMRT"
    assert got.files[0].smelter_rows == 2
    assert len(got.problems) == 1 and "version 7.0" in got.problems[0].message


def test_localized_sheet_names_are_found_by_content(tmp_path: Path) -> None:
    names = {"Declaration": "申报", "Smelter List": "冶炼厂清单", "Smelter Look-up": "冶炼厂查找",
             "Revision": "修订", "Instructions": "说明", "Definitions": "定义",
             "Checker": "检查", "Product List": "产品清单"}  # fmt: skip
    path = make_fake_template(tmp_path / "zh.xlsx", rows=ROWS, lookup=LOOKUP, sheet_names=names)
    got = read_declarations([path])
    assert got.problems == []
    assert got.files[0].template == "CMRT" and got.files[0].company == "Fake Supplier Inc."
    assert set(got.smelters["country_iso3"]) == {"CHN", "IDN"}


def test_id_resolved_from_dropdown_choice_when_formulas_were_not_cached(tmp_path: Path) -> None:
    rows = [{"B": "Gold", "C": "Gamma Gold"}]  # F/E formulas never calculated
    got = read_declarations([make_fake_template(tmp_path / "x.xlsx", rows=rows, lookup=LOOKUP)])
    row = got.smelters.iloc[0]
    assert (row["smelter_id"], row["country_iso3"], row["metal"]) == ("CID000003", "RWA", "gold")


def test_layout_mismatch_is_a_problem(tmp_path: Path) -> None:
    import openpyxl

    path = make_fake_template(tmp_path / "cut.xlsx", rows=ROWS, lookup=LOOKUP)
    book = openpyxl.load_workbook(path)
    book["Smelter List"].delete_rows(1)  # everything one row up: positions no longer match
    book.save(path)
    got = read_declarations([path])
    assert got.files == [] and "layout" in got.problems[0].message


def test_emrt_mine_list_and_aliases(tmp_path: Path) -> None:
    lookup = [("Cobalt", "Kappa", "Kappa Cobalt", "CONGO, DEMOCRATIC REPUBLIC OF THE", "CID000010")]
    rows = [{"B": "Cobalt", "C": "Kappa", "F": "CID000010"},
            {"B": "Cobalt", "D": "Odd Co", "E": "Zaire", "F": "CID000011"}]  # fmt: skip
    mines = [{"A": "Cobalt", "C": "Mine One", "F": "Zaire"}, {"A": "Cobalt", "C": "Mine Two"}]
    path = make_fake_template(
        tmp_path / "e.xlsx", title="Extended Minerals Reporting Template (EMRT)",
        stamp="Revision 2.1\nOctober 17, 2025", rows=rows, lookup=lookup, mines=mines,
    )  # fmt: skip
    got = read_declarations([path], aliases={"Zaire": "COD"})
    assert got.files[0].template == "EMRT" and got.files[0].mine_rows == 2
    assert got.processing_shares("cobalt") == {"COD": 1.0}
    assert got.mining_shares("cobalt") == {"COD": 0.5, "UNKNOWN": 0.5}
    assert list(got.mines["country"]) == ["Zaire", None]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Tantalum", "tantalum"), ("Tin", "tin"), ("Tungsten", "tungsten"), ("Gold", "gold"),
        ("Cobalt(*)", "cobalt"), ("Mica", "mica"), ("Graphite", "graphite"),
        ("Natural Graphite", "graphite"), ("Aluminium", "aluminum"), ("Aluminum", "aluminum"),
        ("Rare Earth Elements", "rare_earths"), ("Soda Ash", "soda_ash"), ("钴(*)", "cobalt"),
        ("Lithium", "lithium"), ("Nickel", "nickel"), ("Copper", "copper"),
    ],
)  # fmt: skip
def test_metal_ids(name: str, expected: str) -> None:
    assert metal_id(name) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME Metals Co., Ltd.", "acme metals"),
        ("Acme Metals, Inc.", "ACME METALS"),
        ("Müller Metall GmbH", "muller metall"),
        ("Foxtrot Alloys S.A.", "Foxtrot Alloys SA"),
        ("Tokyo Parts K.K.", "tokyo parts"),
        ("Widget Corp", "Widget Corporation"),
        ("深圳某某有限公司", "深圳某某"),
    ],
)
def test_normalize_company(a: str, b: str) -> None:
    assert normalize_company(a) == normalize_company(b)
    assert normalize_company(a)


def test_normalize_company_keeps_a_lone_suffix_word() -> None:
    assert normalize_company("Company") == "company"
    assert normalize_company(None) == ""


@given(st.text(max_size=40))
def test_normalize_company_is_idempotent(name: str) -> None:
    once = normalize_company(name)
    assert normalize_company(once) == once


def test_frames_have_stable_columns_when_empty() -> None:
    got = read_declarations([])
    assert isinstance(got.smelters, pd.DataFrame) and got.smelters.empty
    assert {"smelter_id", "metal", "smelter_name", "country", "country_iso3", "recycled",
            "company", "files", "source_row"} <= set(got.smelters.columns)  # fmt: skip
    assert {"metal", "mine_name", "country", "country_iso3", "company", "file",
            "source_row"} <= set(got.mines.columns)  # fmt: skip
    assert got.mining_shares("tin") == {}
