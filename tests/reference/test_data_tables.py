"""Checks on the bundled reference tables in data/reference (built by tools/build_reference.py).

Reads only the committed YAML files (never the shared facts folder).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import pycountry
import pytest
import yaml

from exposure_audit.reference.models import (
    OTHER,
    CountriesFile,
    GroupsFile,
    MaterialsFile,
    MineralsFile,
    SupplyFile,
    partial_date_end,
)

DATA = Path(__file__).parents[2] / "data" / "reference"

US_2025 = {
    "aluminum",
    "antimony",
    "arsenic",
    "barite",
    "beryllium",
    "bismuth",
    "boron",
    "cerium",
    "cesium",
    "chromium",
    "cobalt",
    "copper",
    "dysprosium",
    "erbium",
    "europium",
    "fluorspar",
    "gadolinium",
    "gallium",
    "germanium",
    "graphite",
    "hafnium",
    "holmium",
    "indium",
    "iridium",
    "lanthanum",
    "lead",
    "lithium",
    "lutetium",
    "magnesium",
    "manganese",
    "metallurgical_coal",
    "neodymium",
    "nickel",
    "niobium",
    "palladium",
    "phosphate",
    "platinum",
    "potash",
    "praseodymium",
    "rhenium",
    "rhodium",
    "rubidium",
    "ruthenium",
    "samarium",
    "scandium",
    "silicon",
    "silver",
    "tantalum",
    "tellurium",
    "terbium",
    "thulium",
    "tin",
    "titanium",
    "tungsten",
    "uranium",
    "vanadium",
    "ytterbium",
    "yttrium",
    "zinc",
    "zirconium",
}
NEW_IN_2025 = {
    "boron",
    "copper",
    "lead",
    "metallurgical_coal",
    "phosphate",
    "potash",
    "rhenium",
    "silicon",
    "silver",
    "uranium",
}


@cache
def raw(name: str):
    with (DATA / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def model(name: str):
    cls = {
        "minerals": MineralsFile,
        "supply": SupplyFile,
        "materials": MaterialsFile,
        "countries": CountriesFile,
        "groups": GroupsFile,
    }[name]
    return cls.model_validate(raw(name))


def fold(text: str) -> str:
    """The mapper's folding: NFKC, casefold, drop accents, keep [a-z0-9./%+], collapse spaces."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z.%+/]+", " ", text).strip().strip(".")


def is_iso3(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


# --- validation and basic integrity --------------------------------------------------------------


@pytest.mark.parametrize("name", ["minerals", "supply", "materials", "countries", "groups"])
def test_file_validates_and_has_header(name):
    data = raw(name)
    assert data["schema_version"] == 1
    assert isinstance(data["as_of"], dt.date)
    assert data.get("note")
    model(name)


def test_mineral_ids_unique_and_us_2025_complete():
    minerals = model("minerals").minerals
    ids = [m.id for m in minerals]
    assert len(ids) == len(set(ids))
    assert set(ids) >= US_2025
    listed = {m.id for m in minerals if "us_2025" in m.lists}
    assert listed == US_2025 and len(listed) == 60
    assert {m.id for m in minerals if "us_2022" in m.lists} == US_2025 - NEW_IN_2025
    by_id = {m.id: m for m in minerals}
    for extra in ("gold", "molybdenum", "alumina"):
        assert by_id[extra].critical is False
    assert all(by_id[m].critical for m in US_2025)
    assert "rare_earths" in by_id


def test_mineral_aliases_do_not_collide():
    seen: dict[str, str] = {}
    for m in model("minerals").minerals:
        for name in (m.id.replace("_", " "), m.name, *m.aliases):
            key = fold(name)
            assert seen.setdefault(key, m.id) == m.id, f"{name!r}: {m.id} vs {seen[key]}"


def test_export_controls_are_dated_and_sourced():
    minerals = {m.id: m for m in model("minerals").minerals}
    for m in minerals.values():
        for ec in m.export_controls:
            assert ec.source.url and ec.source.year
            if ec.suspended_until:
                assert ec.suspended_from and ec.suspended_from < ec.suspended_until
    controlled = {m for m, v in minerals.items() if v.export_controls}
    assert {
        "gallium",
        "germanium",
        "graphite",
        "antimony",
        "tungsten",
        "tellurium",
        "bismuth",
        "molybdenum",
        "indium",
        "samarium",
        "gadolinium",
        "terbium",
        "dysprosium",
        "lutetium",
        "scandium",
        "yttrium",
        "holmium",
        "erbium",
        "thulium",
        "europium",
        "ytterbium",
        "silver",
        "lithium",
        "rare_earths",
    } <= controlled
    # the Oct 2025 package is suspended until 2026-11-10; clause 2 of No. 46 until 2026-11-27
    holmium = minerals["holmium"].export_controls[0]
    assert holmium.status(dt.date(2026, 1, 1)) == "suspended"
    assert holmium.status(dt.date(2026, 11, 10)) == "active"
    ga46 = [e for e in minerals["gallium"].export_controls if "clause 2" in e.measure][0]
    assert ga46.status(dt.date(2026, 6, 1)) == "suspended"
    assert ga46.status(dt.date(2025, 6, 1)) == "active"
    dy = [e for e in minerals["dysprosium"].export_controls if "No. 18" in e.measure][0]
    assert dy.status(dt.date(2026, 6, 1)) == "active"


# --- supply ---------------------------------------------------------------------------------------


def test_supply_shares_are_fractions_summing_to_at_most_one():
    keys = Counter()
    minerals = {m.id for m in model("minerals").minerals}
    for e in model("supply").supply:
        keys[(e.mineral, e.stage)] += 1
        assert e.mineral in minerals
        assert all(0.0 <= v <= 1.0 for v in e.shares.values())
        assert sum(e.shares.values()) <= 1.0 + 1e-9
        assert sum(e.shares.values()) >= 0.99, (e.mineral, e.stage)
        for code in e.shares:
            assert code == OTHER or is_iso3(code), code
        assert e.source.title and e.source.year and e.source.url
    assert max(keys.values()) == 1, "one entry per mineral and stage"


def test_supply_coverage():
    entries = model("supply").supply
    mining = {e.mineral for e in entries if e.stage == "mining"}
    processing = {e.mineral for e in entries if e.stage == "processing"}
    assert len(mining) == 49 and len(processing) == 52
    assert "cesium" not in mining | processing and "rubidium" not in mining | processing


@pytest.mark.parametrize(
    ("mineral", "stage", "country", "share"),
    [
        ("gallium", "processing", "CHN", 0.99),
        ("rare_earths", "processing", "CHN", 0.913),
        ("tungsten", "mining", "CHN", 0.788),
        ("graphite", "mining", "CHN", 0.778),
        ("cobalt", "mining", "COD", 0.742),
        ("lithium", "mining", "AUS", 0.317),
        ("magnesium", "processing", "CHN", 0.864),
        ("silicon", "processing", "CHN", 0.87),
        ("lithium", "processing", "CHN", 0.702),
        ("cobalt", "processing", "CHN", 0.784),
        ("copper", "processing", "CHN", 0.483),
        ("dysprosium", "processing", "CHN", 1.0),
    ],
)
def test_supply_spot_checks(mineral, stage, country, share):
    entry = next(e for e in model("supply").supply if e.mineral == mineral and e.stage == stage)
    assert entry.shares[country] == pytest.approx(share, abs=1e-4)


def test_supply_source_years():
    for e in model("supply").supply:
        if e.source.title.startswith("USGS"):
            assert e.source.year == 2026 and e.year == "2025"
        elif e.source.title.startswith("IEA"):
            assert e.source.year == 2025 and e.year == "2024"
        elif e.source.title.startswith("European Commission"):
            assert e.source.year == 2023 and e.year == "2016-2020"


# --- materials ------------------------------------------------------------------------------------


def test_materials_count_ids_and_minerals():
    materials = model("materials").materials
    assert len(materials) >= 80
    ids = [m.id for m in materials]
    assert len(ids) == len(set(ids))
    minerals = {m.id for m in model("minerals").minerals}
    for m in materials:
        # ferrite (Sr, Fe) and plastics carry no tracked mineral: kept so they are recognised
        assert m.composition or m.id in {"ferrite_sr", "plastic_generic"}, m.id
        assert m.source.year not in (None, "")
        for c in m.composition:
            assert c.mineral in minerals, (m.id, c.mineral)
            src = c.source or m.source
            assert src.title and src.year not in (None, "")
            if c.low is not None and c.high is not None:
                assert c.low <= c.high
        if m.typical_mass:
            assert m.typical_mass.source.year


def test_material_aliases_unique_after_folding():
    seen: dict[str, str] = {}
    for m in model("materials").materials:
        for alias in (*m.aliases, m.id.replace("_", " ")):
            key = fold(alias)
            assert seen.setdefault(key, m.id) == m.id, f"{alias!r}: {m.id} vs {seen[key]}"


def test_cas_numbers_unique_and_well_formed():
    seen: dict[str, str] = {}
    for m in model("materials").materials:
        for cas in m.cas:
            assert re.fullmatch(r"\d{2,7}-\d{2}-\d", cas), cas
            digits = cas.replace("-", "")
            check = sum(int(d) * i for i, d in enumerate(reversed(digits[:-1]), start=1)) % 10
            assert check == int(digits[-1]), f"bad CAS check digit {cas}"
            assert seen.setdefault(cas, m.id) == m.id


class _Matcher:
    """Tiny stand-in for the mapper: exact alias per part first, then the best pattern hit."""

    def __init__(self, materials):
        self.aliases: dict[str, str] = {}
        for m in materials:
            for alias in (*m.aliases, m.id.replace("_", " ")):
                self.aliases.setdefault(fold(alias), m.id)
        self.rules = [
            (
                m.priority,
                m.id,
                [re.compile(p) for p in m.patterns],
                [re.compile(p) for p in m.exclude],
            )
            for m in materials
            if m.patterns
        ]

    def __call__(self, *fields: str) -> str | None:
        parts = [fold(f) for f in fields if f and fold(f)]
        for part in parts:
            if part in self.aliases:
                return self.aliases[part]
        text = " | ".join(parts)
        best = None
        for priority, mid, patterns, excludes in self.rules:
            for pattern in patterns:
                found = pattern.search(text)
                if found is None:
                    continue
                if any(ex.search(text) for ex in excludes):
                    break
                key = (priority, found.end() - found.start(), -found.start(), mid)
                if best is None or key[:3] > best[:3]:
                    best = key
                break
        return best[3] if best else None


@pytest.fixture(scope="module")
def match():
    return _Matcher(model("materials").materials)


MATCH_CASES = [
    # NdFeB
    ("N52 12x5x3mm", "ndfeb_sintered"),
    ("N50 1/2 x 1/8 x 1/16in", "ndfeb_sintered"),
    ("Neodym Cylinder Magnet", "ndfeb_sintered"),
    ("neodymium magnet 10x2mm", "ndfeb_sintered"),
    ("NdFeB block magnet N42", "ndfeb_sintered"),
    ("Rare earth magnet disc", "ndfeb_sintered"),
    ("Magnet N35 nickel plated", "ndfeb_sintered"),
    ("N52", "ndfeb_sintered"),  # a grade alone, as in a material column
    ("n42 block", "ndfeb_sintered"),
    ("N40 countersunk 10 x 3", "ndfeb_sintered"),
    ("N35 nut", None),  # a grade token next to a fastener word is a nut's or a bolt's code
    ("N35 M3 hex nut", None),
    ("hex bolt N42 M8x40", None),
    ("N35 cable gland", None),
    ("N42H arc magnet", "ndfeb_sintered"),
    ("N42SH arc segment", "ndfeb_sintered_hc"),
    ("N38UH rotor magnet", "ndfeb_sintered_hc"),
    ("N45 EH magnet", "ndfeb_sintered_hc"),
    ("neodymium-free motor", None),
    ("ND-free rotor assembly", None),
    ("rare earth free magnet motor", None),
    ("0.4mm Enameled Magnet Wire", "copper_cathode"),
    ("enamelled copper wire 0.2mm", "copper_cathode"),
    ("magnet wire AWG 30", "copper_cathode"),
    ("ferrite magnet ring", "ferrite_sr"),
    ("SmCo 2:17", "sm2co17"),
    ("SmCo5 disc magnet", "smco5"),
    ("AlNiCo 5 bar magnet", "alnico5"),
    # screws are not HSS
    ("M2 Locknut", None),
    ("M2x25mm socket head screw", None),
    ("M3x6mm", None),
    ("HSS M2 drill bit 3mm", "hss_m2"),
    ("HSS-Co drill 5mm", "hss_m35"),
    ("M42 HSS end mill", "hss_m42"),
    # cells
    ("18650 Li-Ion Cell", "li_cell_nmc622"),
    ("Li-ion battery 3.7V 2000mAh", "li_cell_nmc622"),
    ("LiFePO4 cell 3.2V 100Ah", "li_cell_lfp"),
    ("21700 NMC811 cell", "li_cell_nmc811"),
    ("18650 NCA 3500mAh cell", "li_cell_nca"),
    ("NCM523 prismatic cell", "li_cell_nmc532"),
    ("LMFP cell 3.2V", "li_cell_lmfp"),
    ("18650 battery holder", None),
    ("EV battery pack NMC811 75kWh", "li_pack_nmc811"),
    ("LFP ESS pack 280Ah", "li_pack_lfp"),
    ("NMC811 cathode active material powder", "cam_nmc811"),
    ("NiMH AA cell 2000mAh", "nimh_cell"),
    ("12V VRLA battery", "lead_acid_battery"),
    ("lithium carbonate battery grade", "li2co3"),
    # electronics
    ("Tantalum capacitor 10uF", "ta_capacitor"),
    ("Capacitor ceramic 100nF X7R 0603", "mlcc"),
    ("MLCC 10uF 0805", "mlcc"),
    ("SAC305 solder paste", "sac305"),
    ("Sn63Pb37 solder wire", "sn63pb37"),
    ("SN100C wave solder bar", "sn100c"),
    ("GaN HEMT", "gan"),
    ("GaN charger 65W", None),
    ("GaAs pHEMT die", "gaas"),
    ("InP wafer 2 inch", "inp"),
    ("SiC MOSFET 1200V", "sic"),
    ("silicon wafer 200mm", "si_wafer"),
    ("PCBA main board", "pcb_generic"),
    ("printed circuit board assembly", "pcb_generic"),
    ("BMS board 4S", "pcb_generic"),
    ("PCB standoff M3", None),
    ("White SMD LED 2835", "led_smd"),
    ("Red LED 0603", None),
    ("ITO coated glass 1.1mm", "ito_glass"),
    ("germanium lens 25mm", "ge_optics"),
    # metals
    ("Ti-6Al-4V bar", "ti_6al_4v"),
    ("316 stainless bolt", "ss_316"),
    ("SS304 hex nut M5", "ss_304"),
    ("stainless steel sheet 1mm", "ss_304"),
    ("A2-70 hex bolt M8", "ss_304"),
    ("A4 stainless washer", "ss_316"),
    ("430 stainless sheet", None),
    ("17-4PH shaft", "ss_17_4ph"),
    ("AL6061-T6 plate", "al_6061"),
    ("7075-T6 aluminium bar", "al_7075"),
    ("aluminium enclosure", "aluminium_unalloyed"),
    ("copper busbar 10x3", "copper_cathode"),
    ("brass insert M3", "brass_c36000"),
    ("C26000 cartridge brass strip", "brass_c26000"),
    ("beryllium copper spring", "becu_c17200"),
    ("phosphor bronze contact", "bronze_c51000"),
    ("tungsten carbide insert", "wc_co"),
    ("carbide end mill 6mm", "wc_co"),
    ("tungsten heavy alloy counterweight", "wha_90"),
    ("Inconel 718 bolt", "inconel_718"),
    ("Zamak 5 die casting", "zamak5"),
    ("AZ91D housing", "mg_az91d"),
    ("NbTi superconducting wire", "nbti_wire"),
    ("ferrovanadium FeV80", "fev"),
    # energy / other
    ("solar panel 400W mono PERC", "pv_csi_module"),
    ("solar panel mounting bracket", None),
    ("CdTe module", "pv_cdte_module"),
    ("catalytic converter", "autocatalyst_brick"),
    ("PEM fuel cell stack 80 kW", "pemfc_stack"),
    ("PTFE gasket", "ptfe"),
    # generic insulated wire is copper conductor (the PTFE is insulation, not the part)
    ("PTFE insulated wire", "copper_cathode"),
    ("PVDF binder", "pvdf"),
    ("antimony trioxide", "sb2o3"),
    ("FR HIPS V0 housing", "fr_hips"),
    ("barium sulphate filler", "barite"),
    ("cerium oxide polishing powder", "ceo2_polish_low"),
    ("lithium grease EP2", "li_grease"),
    ("graphite electrode UHP 600mm", "graphite_electrode"),
    ("spherical graphite", "anode_graphite"),
    ("capacitor 10uF 0805", "mlcc"),
    ("electrolytic capacitor 100uF", None),
    ("HSS 4x4x1/4 tube", None),
    ("copper alloy C70600", None),
    ("phone mainboard", "pcb_smartphone"),
    ("oil impregnated sintered bronze bushing", None),
    ("NMC pouch cell", "li_cell_nmc622"),
    ("Nd:YAG laser rod", None),
    ("bonded NdFeB ring", None),
    ("Lithium battery CR2032", None),
    # parts around cells are not cells (battery_pack_3s6p.xlsx)
    # ... but a nickel interconnect or strip is nickel (pure Ni 200/201; plated steel stays out)
    (
        "Cell Interconnect / Bus Material | nickel/bus interconnect suitable for 18650 cells",
        "nickel_200",
    ),
    ("Fish Paper / Cell Insulation | Electrical insulation for Li-Ion cell terminals", None),
    ("18650 busbar", None),
    ("Li-ion cell bus bar 0.2mm", None),
    ("18650 cell spacer", None),
    ("Li-ion battery charger", None),
    ("18650 nickel strip 0.15mm", "nickel_200"),
    ("Pure nickel strip 0.15 x 8 mm", "nickel_200"),
    ("Ni201 tab", "nickel_200"),
    ("nickel-plated steel strip 0.15mm", None),
    ("Nickel plated strip for 18650", None),
    ("Kapton tape for li-ion cells", None),
    ("Li-ion battery wiring harness", None),
    ("18650 Li-ion cell with wire leads", "li_cell_nmc622"),
    # generic electrical wire -> copper conductor; other wire is not
    ("Main Power Wire | High-current battery wiring", "copper_cathode"),
    ("Balance Wires | Insulated low-current multi-core wiring", "copper_cathode"),
    ("6 AWG cable, red", "copper_cathode"),
    ("silicone wire 22AWG black", "copper_cathode"),
    ("hook-up wire 24 AWG stranded", "copper_cathode"),
    ("Cable Ties / Wire Restraints | Small electrical-grade cable restraints", None),
    ("stainless steel wire rope 3mm", "ss_304"),
    ("nichrome wire 28 AWG", None),
    ("CCA power cable 8 AWG", None),
    ("aluminium power cable 35mm2", "aluminium_unalloyed"),
    ("USB cable 1m", None),
    ("22 AWG wire harness with JST connector", None),
    ("thermocouple wire type K 24 AWG", None),
    ("solder wire 0.8mm", None),
    # board-level modules are populated boards
    ("3S BMS | 3S, 40 A; overcharge/over-discharge protection", "pcb_generic"),
    ("Driver | TB6612FNG | Motor Driver Module", "pcb_generic"),
    ("DC Regulator | Step-Down Buck Converter | DC-DC Step Down Module", "pcb_generic"),
    ("MCU | RaspberryPi Pico 2 | Microcontroller", "pcb_generic"),
    ("Arduino Nano", "pcb_generic"),
    ("Raspberry Pi case", None),
    ("BMS connector 4 pin", None),
    ("Diode | 1N5819 | Schottky Rectifier", None),
    ("TB6612FNG", None),
]


@pytest.mark.parametrize(("text", "expected"), MATCH_CASES)
def test_bom_text_maps_to_archetype(match, text, expected):
    assert match(text) == expected


def test_matching_uses_all_columns(match):
    assert match("Magnet", "N52 12x5x3mm", "") == "ndfeb_sintered"
    assert match("Stainless", "", "") == "ss_304"
    assert match("Cell", "LiFePO4 3.2V", "") == "li_cell_lfp"


# --- countries ------------------------------------------------------------------------------------


def test_country_aliases_resolve_to_valid_codes():
    countries = model("countries")
    for spelling, code in countries.aliases.items():
        assert code == "EU" or is_iso3(code), (spelling, code)
    folded = Counter(fold(k) for k in countries.aliases)
    assert max(folded.values()) == 1
    index = {fold(k): v for k, v in countries.aliases.items()}
    for spelling, code in [
        ("DR Congo", "COD"),
        ("Congo (Brazzaville)", "COG"),
        ("Korea, Rep.", "KOR"),
        ("DPRK", "PRK"),
        ("Türkiye", "TUR"),
        ("Côte d'Ivoire", "CIV"),
        ("Taiwan ROC", "TWN"),
        ("U.S.A.", "USA"),
        ("CONGO, DEMOCRATIC REPUBLIC OF THE", "COD"),
        ("TURKEY", "TUR"),
        ("Burma", "MMR"),
        ("UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND", "GBR"),
        ("Holland", "NLD"),
    ]:
        assert index[fold(spelling)] == code, spelling
    assert countries.china_regions == ["HKG", "MAC"]


def test_eu_members():
    countries = model("countries")
    current = [m for m in countries.eu_members if m.left is None]
    assert len(current) == 27
    gbr = next(m for m in countries.eu_members if m.iso3 == "GBR")
    assert gbr.joined == dt.date(1973, 1, 1) and gbr.left == dt.date(2020, 1, 31)
    assert all(is_iso3(m.iso3) for m in countries.eu_members)
    assert countries.eu_source and countries.eu_source.year


# --- groups ---------------------------------------------------------------------------------------


def test_groups_codes_dates_and_ids():
    groups = model("groups").groups
    ids = [g.id for g in groups]
    assert len(ids) == len(set(ids))
    for g in groups:
        codes = [m.iso3 for m in g.members]
        for code in codes:
            assert code == "EU" or is_iso3(code), (g.id, code)
        for m in g.members:
            if m.date:
                partial_date_end(m.date)  # parses
                dt.date.fromisoformat(m.date + "-01" * (2 - m.date.count("-")))
            if g.counting_statuses is not None:
                assert g.counting_statuses, g.id
        for s in g.sources:
            assert s.url and s.year


def test_group_rosters():
    groups = {g.id: g for g in model("groups").groups}
    union = groups["us_cm_bilateral_union_2025_2026"]
    assert len(union.members) == 21
    assert {m.iso3 for m in union.members} >= {"EU", "IND", "GBR", "UKR", "JPN", "AUS"}
    assert union.counting_statuses == ["signed"] and union.complete is False
    assert {m.iso3 for m in groups["us_covered_nations_feoc_pfe"].members} == {
        "CHN",
        "RUS",
        "PRK",
        "IRN",
    }
    assert groups["us_cm_ministerial_2026_attendees"].complete is True
    assert groups["us_cm_ministerial_2026_attendees"].counting_statuses == ["host", "attendee"]
