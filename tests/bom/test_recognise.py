"""Component recognition from a line's cells (bom/recognise.py): maker series tables,
packages, designators, words, and that random part-number-like strings name no material."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exposure_audit.bom.recognise import recognise
from exposure_audit.engine.components import load_kinds
from exposure_audit.engine.mapping import Match, combine


@pytest.mark.parametrize(
    ("mpn", "kind"),
    [
        ("GRM188R71H104KA93D", "capacitor_ceramic"),  # Murata
        ("GCM188R72A103KA37D", "capacitor_ceramic"),
        ("CL21A106KAYNNNF", "capacitor_ceramic"),  # Samsung
        ("C1608X5R1C225M", "capacitor_ceramic"),  # TDK
        ("CGA9P3X7S2A156M", "capacitor_ceramic"),
        ("CC0603KRX7R9BB104", "capacitor_ceramic"),  # Yageo
        ("RC0603FR-0710KL", "resistor_chip"),
        ("T495C686M016ATE250", "capacitor_tantalum"),  # KEMET
        ("TPSB107K006R0400", "capacitor_tantalum"),  # AVX
        ("EEU-FR1E821", "capacitor_aluminium"),  # Panasonic
        ("ERJ-3EKF3902V", "resistor_chip"),
        ("CRCW06031K00FKEA", "resistor_chip"),  # Vishay
        ("UUD1V221MNL1GS", "capacitor_aluminium"),  # Nichicon
        ("EPC2045", "transistor_gan"),
        ("GS66508T", "transistor_gan"),
        ("C3M0065090D", "transistor_sic"),
        ("LTST-C191KRKT", "led"),
        ("81-GRM39X472J50D", "capacitor_ceramic"),  # Mouser prefix
    ],
)
def test_series_tables(mpn, kind):
    assert recognise([("mpn", mpn)]).kind == kind


@pytest.mark.parametrize(
    ("cells", "kind", "package"),
    [
        (
            [("description", "100nF"), ("footprint", "C_0805_2012Metric")],
            "capacitor_ceramic",
            "0805",
        ),
        ([("description", "10k"), ("footprint", "R0402")], "resistor_chip", "0402"),
        ([("description", "22uF"), ("footprint", "c_tant_B")], "capacitor_tantalum", "case B"),
        ([("description", "mosfet"), ("footprint", "D2PAK-7")], "transistor", "D2PAK"),
        ([("value", "Device:C"), ("footprint", "C_0603_1608")], "capacitor_ceramic", "0603"),
        ([("description", "Tantalum, MnO2, 22 uF")], "capacitor_tantalum", None),
        ([("description", "CAP CER 2.2UF 16V X5R 0603")], "capacitor_ceramic", None),
    ],
)
def test_packages_and_footprints(cells, kind, package):
    found = recognise(cells)
    assert found.kind == kind
    if package:
        assert found.package == package


@pytest.mark.parametrize(
    ("text", "kind", "material"),
    [
        ("608ZZ bearing", "bearing", None),
        ("M4x12 SHCS", "fastener", None),
        ("M3 stainless steel nut", "fastener", "stainless_a2"),
        ("N35 nut", "fastener", None),  # a nut, not a magnet
        ("N52 12x5x3mm", "magnet", "ndfeb"),
        ("NEMA 17 stepper motor 48mm", "stepper_motor", None),
        ("NEMA 17 stepper motor cable 1m", "wire", None),
        ("linear rail MGN12H 300mm", "linear_rail", None),
        ("t slot 3030 black anodized 1000mm", "extrusion", "aluminium"),
        ("INR21700-40T", "battery_cell", "cell_nmc"),
        ("18650 cell with nickel tabs", "battery_cell", None),
        ("LiPo battery with JST connector", "battery_cell", None),
        ("Cell Holder / Spacer", "structural", None),
        ("XT60 Connector", "connector", None),
        ("Stepper Driver A4988", "board", None),
    ],
)
def test_words_and_size_codes(text, kind, material):
    found = recognise([("description", text)])
    assert (found.kind, found.material) == (kind, material)


def test_designator_column():
    assert recognise([("designator", "C1, C4, C5"), ("value", "2.2u")]).kind == "capacitor"
    assert recognise([("designator", "Q1-Q6")]).kind == "transistor"


def test_a_pattern_inside_a_connector_part_number_is_not_taken():
    kinds = load_kinds()
    gan = Match("gan", "pattern", 0.8, "pattern of gan matched 'gan'")
    found = recognise([("description", "connector"), ("mpn", "GAN-1234-X")])
    assert combine(gan, found, kinds).archetype is None
    magnet = Match("ndfeb_sintered", "pattern", 0.8, "pattern")
    assert combine(magnet, recognise([("description", "N35 nut")]), kinds).archetype == (
        "steel_1045"
    )


def test_what_a_part_goes_with_does_not_name_it():
    """Past "for"/"with" a text names what the part goes into: the kind is not taken from it,
    so a material pattern on the part itself (germanium window) is kept."""
    text = "Germanium IR window 10 mm for thermal sensor"
    assert recognise([("description", text)]).kind is None
    assert recognise([("description", "Spacer ring for stepper motor")]).kind != "motor"
    window = Match("ge_optics", "pattern", 0.8, "pattern of ge_optics matched 'germanium'")
    found = recognise([("description", text)])
    assert combine(window, found, load_kinds()).archetype == "ge_optics"


def test_a_kind_missing_from_the_loaded_tables_defers_to_their_patterns():
    from exposure_audit.engine.components import kinds_for

    kinds = kinds_for(load_kinds(), frozenset({"mlcc"}))
    assert kinds["capacitor_ceramic"].archetype == "mlcc"
    assert "capacitor_tantalum" not in kinds and "magnet" not in kinds
    own = Match("my_magnet", "pattern", 0.8, "pattern of my_magnet matched 'n42sh'")
    assert combine(own, recognise([("description", "Rotor magnet N42SH")]), kinds) == own
    none = Match(None, "none", 0.0, "")
    tantalum = recognise([("description", "Tantalum capacitor")])
    assert combine(none, tantalum, kinds).archetype is None


def test_every_archetype_the_kind_table_names_exists():
    from exposure_audit.engine.components import check_kinds
    from exposure_audit.reference import load_reference

    assert check_kinds(load_kinds(), set(load_reference().materials)) == []


MPN_LIKE = st.from_regex(r"[A-Z]{1,4}[0-9]{2,5}(-[A-Z0-9]{1,6}){0,2}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(MPN_LIKE)
def test_random_mpn_like_strings_name_no_material(mpn):
    """A part number never reads as a material: whatever kind it suggests, no material word
    is taken from inside it."""
    from exposure_audit.bom.recognise import _NDFEB_GRADE

    if _NDFEB_GRADE.match(mpn):
        return  # "N35" is a magnet grade: the grade table decodes it (a material, rightly)
    found = recognise([("mpn", mpn)])
    assert found.material is None or found.material.startswith("cell_")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Connector AB-GAN-3", "Connector  "),
        ("X-BMS-12", " "),
        ("B6B-PH-K-S(LF)(SN)", " "),
        ("GAN-N30", " "),  # the code left alone would read as a magnet grade
        ("NdFeB-N52-SH", "NdFeB"),  # its long words stay
        ("NdFeB-N52 magnet", "NdFeB-N52 magnet"),  # a long word inside a code is a word
        ("GaN-FET", "GaN-FET"),  # no digit: words joined by a hyphen
        ("3S BMS 40A", "3S BMS 40A"),  # prose, not a part number
    ],
)
def test_mask_codes_blanks_letter_codes_inside_part_numbers(text, masked):
    from exposure_audit.bom.recognise import mask_codes

    assert mask_codes(text) == masked


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        # the footprint is what is soldered: "Battery" on a JST footprint is its connector
        (
            [
                ("description", "Battery"),
                ("value", "Battery"),
                ("footprint", "Connectors_JST:JST_PH_S2B-PH-K_02x2.00mm_Angled"),
            ],
            "connector",
        ),
        # notes say what a part is for: "BALANCE BOARD" on a pin socket is a connector
        (
            [
                ("notes", "BALANCE BOARD"),
                ("designator", "J14,J15"),
                ("footprint", "PinSocket_1x22_P2.54mm_Vertical"),
            ],
            "connector",
        ),
        # an IC package makes a "driver" a packaged IC, not a board
        ([("description", "MOTOR DRIVER, 3PH, 56HTSSOP")], "ic"),
        ([("description", "DRIVER, MOSFET, HALF BRIDGE, WSON-8, 1A")], "ic"),
        ([("description", "Motor driver module DRV8833 SOIC")], "board"),
        # KiCad's moulded-chip polarised footprints are tantalum cases
        ([("value", "10uF"), ("footprint", "CP_EIA-3216-18_Kemet-A")], "capacitor_tantalum"),
        ([("value", "470uF"), ("footprint", "CP_Elec_8x10")], "capacitor_aluminium"),
    ],
)
def test_what_was_placed_decides(cells, kind):
    assert recognise(cells).kind == kind


def test_silicone_is_not_a_carbon_plastic():
    """Silicones are Si-O polymers made from silicon metal: a silicone pad is PDMS."""
    kinds = load_kinds()
    found = recognise([("description", "Thermal pad, silicone")])
    assert (found.kind, found.material) == ("plastic_part", "silicone")
    none = Match(None, "none", 0.0, "")
    assert combine(none, found, kinds).archetype == "pdms_silicone"
    nylon = recognise([("description", "Nylon spacer pad")])
    assert combine(none, nylon, kinds).archetype != "pdms_silicone"


@pytest.mark.parametrize(
    ("cells", "dielectric"),
    [
        ([("description", "CAP CER 2.2UF 16V X5R 0603")], "class_ii"),
        ([("description", "CAP CER 10PF 50V NP0 0603")], "class_i"),
        ([("mpn", "GRM188R71H104KA93D")], "class_ii"),  # Murata R7 = X7R
        ([("mpn", "GRM21BR61H475KE51L")], "class_ii"),  # R6 = X5R
        ([("mpn", "GRM1885C1H100JA01D")], "class_i"),  # 5C = C0G
        ([("mpn", "CL10A226MQ8NRNC")], "class_ii"),  # Samsung A = X5R
        ([("mpn", "CL21C101JBANNNC")], "class_i"),  # C = C0G
        ([("mpn", "CC0603JRNPO9BN101")], "class_i"),  # Yageo NPO
        ([("mpn", "C1608X5R1C225M")], "class_ii"),  # TDK X5R
        ([("description", "CAP 10u, 50V, 1206")], "class_ii"),  # 1 uF and up: class II only
        ([("description", "100nF"), ("footprint", "C_0603_1608Metric")], None),  # not stated
    ],
)
def test_ceramic_dielectric_class(cells, dielectric):
    found = recognise(cells)
    assert (found.kind, found.material) == ("capacitor_ceramic", dielectric)


def test_a_hyphenated_metric_size_is_a_fastener():
    assert recognise([("description", "Dimension A: M-3 Dimension B: 10 mm")]).kind == "fastener"


def test_a_huge_cell_is_read_by_its_first_characters_only():
    """A megabyte of pasted text in a description is bounded work, and its head still counts."""
    import time

    from exposure_audit.bom.recognise import CELL_CHARACTERS

    text = "Ceramic capacitor 100nF X7R " + "lorem ipsum dolor 1206 " * 50_000
    started = time.perf_counter()
    found = recognise([("description", text)])
    assert time.perf_counter() - started < 1.0
    assert found.kind == "capacitor_ceramic"
    assert recognise([("description", "x" * CELL_CHARACTERS + " NdFeB magnet")]).kind is None


@pytest.mark.parametrize("header", ["mpn", "part_number", "supplier_part"])
@pytest.mark.parametrize("code", ["N40", "N35", "N52SH"])
def test_a_magnet_grade_in_a_part_number_cell_is_a_code(header, code):
    """Found by the property test above: an MPN 'N40' read as sintered NdFeB."""
    assert recognise([(header, code)]).material is None


@pytest.mark.parametrize("cells", [[("material", "N35")], [("description", "Magnet N42 10x5")]])
def test_a_magnet_grade_in_words_names_ndfeb(cells):
    assert recognise(cells).material == "ndfeb"
