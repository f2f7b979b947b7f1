"""Layouts engineers export: electronics fields, headers in eight languages, not-placed lines.

Every fixture here is a small file written by the test in the layout of one exporter (the
header rows as those tools write them); none is a copy of a shared file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from exposure_audit.bom.columns import ELECTRONICS_FIELDS, classify_header, match_columns
from exposure_audit.bom.placement import says_not_placed


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # English exporters
        ("Designator", "designator"),
        ("Reference(s)", "designator"),
        ("References", "designator"),
        ("RefDes", "designator"),
        ("Value", "value"),
        ("Footprint", "footprint"),
        ("Package", "footprint"),
        ("Manufacturer", "manufacturer"),
        ("Mfr.", "manufacturer"),
        ("Manufacturer Part", "mpn"),
        ("Manufacturer Part Number", "mpn"),
        ("MPN", "mpn"),
        ("LCSC Part #", "supplier_part"),
        ("LCSCStockCode", "supplier_part"),
        ("Supplier Part", "supplier_part"),
        ("Digi-Key Part Number", "supplier_part"),
        ("Order Number", "supplier_part"),
        ("PartNumber", "part_number"),
        ("Quantity Per PCB", "quantity"),
        ("Qty per board", "quantity"),
        ("DNP", "placement"),
        ("Place (YES/NO)", "placement"),
        ("Fitted", "placement"),
        # German
        ("Benennung", "description"),
        ("Bezeichnung", "description"),
        ("Werkstoff", "material"),
        ("Mat'l", "material"),
        ("Ursprungsland", "supplier_country"),
        ("Menge", "quantity"),
        ("Stückzahl", "quantity"),
        ("Hersteller", "manufacturer"),
        ("Lieferant", "supplier"),
        ("Sachnummer", "part_number"),
        ("Gewicht (g)", "unit_mass"),
        ("Bemerkung", "notes"),
        ("Gehäuse", "footprint"),
        ("Wert", "value"),
        # French
        ("Désignation", "description"),
        ("Quantité", "quantity"),
        ("Fabricant", "manufacturer"),
        ("Fournisseur", "supplier"),
        ("Pays d'origine", "supplier_country"),
        ("Matière", "material"),
        ("Prix unitaire", "unit_cost"),
        # Spanish
        ("Descripción", "description"),
        ("Cantidad", "quantity"),
        ("Proveedor", "supplier"),
        ("País de origen", "supplier_country"),
        # Italian
        ("Descrizione", "description"),
        ("Quantità", "quantity"),
        ("Produttore", "manufacturer"),
        ("Materiale", "material"),
        # Portuguese
        ("Descrição", "description"),
        ("Quantidade", "quantity"),
        ("Fornecedor", "supplier"),
        # Chinese
        ("数量", "quantity"),
        ("名称", "description"),
        ("规格型号", "mpn"),
        ("封装", "footprint"),
        ("位号", "designator"),
        ("制造商", "manufacturer"),
        ("材质", "material"),
        ("原产地", "supplier_country"),
        ("单价（元）", "unit_cost"),
        # Japanese
        ("品名", "description"),
        ("型番", "mpn"),
        ("メーカー", "manufacturer"),
        ("数量（個）", "quantity"),
        ("材質", "material"),
        ("原産国", "supplier_country"),
        # Not a field
        ("JLCPCBRotation", None),
        ("Datasheet", None),
        ("数据手册链接", None),
    ],
)
def test_header_synonyms_in_eight_languages(header, field):
    assert classify_header(header)[0] == field


def test_electronics_fields_are_canonical_columns_even_when_absent(tmp_path, load_bom):
    path = _write(tmp_path / "plain.csv", "Part Number,Description,Qty\nP-1,Steel bracket,2\n")
    frame = load_bom(path).frame
    for name in ELECTRONICS_FIELDS:
        assert frame[name].astype(str).tolist() == [""]


def test_easyeda_export_utf16_tab_separated(tmp_path, load_bom):
    text = (
        "ID\tName\tDesignator\tFootprint\tQuantity\tManufacturer Part\tManufacturer\t"
        "Supplier\tSupplier Part\tPrice\n"
        '"1"\t"100nF"\t"C1,C6,C8"\t"C0402"\t"3"\t"CC0402KRX7R9BB104"\t"YAGEO"\t"LCSC"\t'
        '"C1525"\t"0.003"\n'
        '"2"\t"AMS1117-3.3"\t"U3"\t"SOT-223-3"\t"1"\t"AMS1117-3.3"\t"AMS"\t"LCSC"\t"C6186"\t'
        '"0.15"\n'
    )
    path = tmp_path / "easyeda.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    bom = load_bom(path)
    frame = bom.frame
    assert frame["row"].tolist() == [2, 3]
    assert frame["quantity"].tolist() == [3.0, 1.0]
    assert frame["designator"].astype(str).tolist() == ["C1,C6,C8", "U3"]
    assert frame["footprint"].astype(str).tolist() == ["C0402", "SOT-223-3"]
    assert frame["mpn"].astype(str).tolist() == ["CC0402KRX7R9BB104", "AMS1117-3.3"]
    assert frame["manufacturer"].astype(str).tolist() == ["YAGEO", "AMS"]
    assert frame["supplier_part"].astype(str).tolist() == ["C1525", "C6186"]
    assert frame["supplier"].astype(str).tolist() == ["LCSC", "LCSC"]
    assert frame["part_number"].astype(str).tolist() == ["CC0402KRX7R9BB104", "AMS1117-3.3"]


def test_altium_export_in_latin_1_keeps_the_micro_sign(tmp_path, load_bom):
    text = (
        "Quantity,Designator,Description,Voltage - Rated,Comment,LibRef\n\n"
        '"2","C1, C2","CAP CER 2.2UF 16V X5R 0603","16V","2.2µF","GRM188R61C225KE15D"\n'
    )
    bom = load_bom(_write(tmp_path / "altium.csv", text, "latin-1"))
    assert bom.frame["quantity"].tolist() == [2.0]
    assert bom.frame["designator"].astype(str).tolist() == ["C1, C2"]
    # Altium's Comment parameter is the part's value
    assert bom.frame["value"].astype(str).tolist() == ["2.2µF"]


def test_jlcpcb_comment_is_the_value_and_the_description_falls_back_to_it(tmp_path, load_bom):
    text = (
        '"Comment","Designator","Footprint","LCSC Part #"\n'
        '"100nF","C1,C6","C_0603_1608Metric","C14663"\n'
        '"BALANCE BOARD","J14,J15","PinSocket_1x22_P2.54mm_Vertical","C2886702"\n'
    )
    frame = load_bom(_write(tmp_path / "jlc.csv", text)).frame
    assert frame["value"].astype(str).tolist() == ["100nF", "BALANCE BOARD"]
    assert frame["description"].astype(str).tolist() == ["100nF", "BALANCE BOARD"]
    assert set(frame["notes"].astype(str)) == {""}


def test_comment_stays_a_note_outside_eda_exports(tmp_path, load_bom):
    text = "Part Number,Description,Qty,Comment\nA1,Steel bracket,2,check drawing\n"
    frame = load_bom(_write(tmp_path / "plain.csv", text)).frame
    assert frame["notes"].astype(str).tolist() == ["check drawing"]


def test_empty_description_reads_the_value_then_the_mpn(tmp_path, load_bom):
    text = (
        "Reference,Value,Footprint,Description,MPN,Qty\n"
        "C1,100nF,C_0603,,GRM188R71H104KA93D,1\n"
        "U1,,SOIC-8,,LM358DR,1\n"
        "R1,10k,R_0603,Thick film resistor,RC0603FR-0710KL,1\n"
    )
    frame = load_bom(_write(tmp_path / "kicad.csv", text)).frame
    assert frame["description"].astype(str).tolist() == ["100nF", "LM358DR", "Thick film resistor"]
    assert frame["value"].astype(str).tolist() == ["100nF", "", "10k"]


def test_not_placed_lines_are_left_out_and_counted(tmp_path, load_bom):
    text = (
        "Part,Value,Package,Description,Qty,Place (YES/NO),Comment\n"
        "U1,,LQFP-64,STM32F4 MCU,1,YES,\n"
        "R6,,,,0,NO,Do not mount\n"
        "C5,DNP,C_0603,,1,,\n"
        "C6,100nF,C_0603,,1,,not fitted in rev B\n"
        "C7,100nF,C_0603,,1,YES,\n"
    )
    bom = load_bom(_write(tmp_path / "hand.csv", text))
    assert bom.frame["row"].tolist() == [2, 6]
    assert bom.not_placed == 3
    issues, _ = bom.issues.to_models()
    flagged = sorted(i.row for i in issues if i.code == "not-placed")
    assert flagged == [3, 4, 5]


def test_a_dnp_column_marks_by_yes(tmp_path, load_bom):
    text = "Designator,Value,Qty,DNP\nR1,10k,1,\nR2,10k,1,x\nR3,1k,1,DNP\nR4,1k,1,no\n"
    bom = load_bom(_write(tmp_path / "dnp.csv", text))
    assert bom.frame["designator"].astype(str).tolist() == ["R1", "R4"]
    assert bom.not_placed == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNP", True),
        ("dnf", True),
        ("10k DNP", True),
        ("Do not place", True),
        ("do not populate", True),
        ("Not fitted", True),
        ("nicht bestücken", True),
        ("ne pas monter", True),
        ("NF", True),
        ("1nF", False),
        ("DNPX-100", False),
        ("Stepper driver", False),
        ("Place near U1", False),
        ("", False),
    ],
)
def test_not_placed_words(text, expected):
    assert says_not_placed(text) is expected


def test_position_column_gives_way_to_the_mpn_as_part_number():
    columns = match_columns(["Item", "Qty", "Value", "Manufacturer", "Mfr Part Number"])
    assert columns.fields["part_number"] == "Mfr Part Number"
    assert columns.fields["manufacturer"] == "Manufacturer"


def test_a_bom_without_quantities_counts_its_designators(tmp_path, load_bom):
    text = (
        '"Comment","Designator","Footprint"\n"100nF","C1, C4,C5","C_0603"\n'
        '"10k","R1-R4","R_0603"\n"LED","D1","LED_0603"\n'
    )
    frame = load_bom(_write(tmp_path / "jlc.csv", text)).frame
    assert frame["quantity"].tolist() == [3.0, 4.0, 1.0]


def test_country_names_in_other_languages(tmp_path, load_bom):
    text = (
        "Benennung,Werkstoff,Menge,Ursprungsland\n"
        "Sechskantschraube M8,Stahl,4,Deutschland\n"
        "Magnet,NdFeB,2,中国\n"
        "Vis,Acier,1,Allemagne\n"
        "Tornillo,Acero,1,Japón\n"
        "Widget,,1,Narnia\n"
    )
    bom = load_bom(_write(tmp_path / "de.csv", text))
    assert bom.frame["supplier_country"].astype(object).tolist()[:4] == ["DEU", "CHN", "DEU", "JPN"]
    assert pd.isna(bom.frame["supplier_country"].iloc[4])


def test_a_column_of_line_numbers_is_never_text(tmp_path, load_bom):
    """KiCad's "Component" column numbers the lines: it is no description."""
    text = (
        "Component,References,Value,Footprint,Description,Quantity Per PCB\n"
        "1,C35,100p,C_0603_1608,Unpolarized capacitor,1\n"
        "2,C6 C11,1n,C_0603_1608,Unpolarized capacitor,2\n"
        "3,R1,10k,R_0603_1608,Resistor,1\n"
    )
    bom = load_bom(_write(tmp_path / "kibom.csv", text))
    assert bom.frame["description"].astype(str).tolist()[0] == "Unpolarized capacitor"
    assert "Component" in bom.columns.unmatched
    assert bom.frame["quantity"].tolist() == [1.0, 2.0, 1.0]
