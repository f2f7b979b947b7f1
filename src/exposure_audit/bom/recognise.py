"""What kind of component a BOM line is, read from every cell of the line.

Electronics exports describe parts by reference designator, value, footprint, maker and
manufacturer part number (MPN) rather than by prose, and mechanical BOMs by size codes ("608ZZ",
"M4x12", "NEMA 17", "MGN12H"). `recognise` reads all of a line's cells with general rules, each
stating the fact it encodes, and returns the component kind (e.g. `capacitor_ceramic`,
`bearing`, `fastener`), the material named for it (e.g. `stainless_a2`), its package or size,
and every piece of evidence: which cell, which rule, which token.

This module knows nothing of minerals: the engine (`engine/mapping.py`) turns a kind and a
material into a material archetype through `data/reference/components.yaml`.

Tokens match on word boundaries. A material word is never read from inside a part number: a
hyphenated MPN is one token, and only a maker's series table (`SERIES`) decodes what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from exposure_audit.bom import sizes

# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One rule that fired on one cell."""

    kind: str
    rule: str
    """designator, footprint, package, value, dielectric, series, cell code, size code, word,
    head word or material."""
    cell: str
    """The header (or canonical field) of the cell that held the token."""
    token: str
    weight: float


@dataclass(frozen=True)
class Recognition:
    """What a line was recognised as (kind None: nothing recognised)."""

    kind: str | None
    material: str | None = None
    package: str | None = None
    confidence: float = 0.0
    evidence: tuple[Evidence, ...] = ()

    @property
    def reason(self) -> str:
        if self.kind is None:
            return "no component rule matched any cell"
        used = [
            e
            for e in self.evidence
            if _family(e.kind) == _family(self.kind) or e.rule in ("material",)
        ]
        parts = [f"{e.rule} {e.token!r} in {e.cell}" for e in used[:4]]
        if self.material:
            parts.append(f"material {self.material}")
        return f"{self.kind}: " + "; ".join(parts)


# --- kinds -----------------------------------------------------------------------------------

FAMILY: dict[str, str] = {
    "capacitor_ceramic": "capacitor",
    "capacitor_tantalum": "capacitor",
    "capacitor_aluminium": "capacitor",
    "capacitor_film": "capacitor",
    "resistor_chip": "resistor",
    "resistor_shunt": "resistor",
    "thermistor": "resistor",
    "ferrite_bead": "inductor",
    "transistor_gan": "transistor",
    "transistor_sic": "transistor",
    "diode_sic": "diode",
    "led_white": "led",
    "stepper_motor": "motor",
    "bldc_motor": "motor",
    "pcb_bare": "board",
}
"""Specific kinds and the general kind they refine. A line's family is chosen first (most
evidence), then the most specific kind of that family with evidence of its own."""


def _family(kind: str) -> str:
    return FAMILY.get(kind, kind)


# --- tokens ------------------------------------------------------------------------------------

_SPLIT = re.compile(r"[\s,;|/()\[\]{}\"']+")
_DISTRIBUTOR = re.compile(r"^\d{2,3}-(?=[A-Za-z])")
"""Mouser order numbers put a 2-3 digit maker prefix before the MPN ("81-GRM188...")."""


def tokens(text: str) -> list[str]:
    """Whitespace/punctuation separated tokens; hyphens, dots, underscores, colons and '*'
    stay inside a token, so an MPN is one token."""
    return [t for t in _SPLIT.split(text) if t]


_CODE_CELL = re.compile(r"[^\s,;|]+")
_CODE_JOINT = re.compile(r"([-_./:#*+()\[\]{}\"']+)")
_SHORT_LETTERS = 3


def mask_codes(text: str) -> str:
    """`text` with the short letter groups inside part-number-like tokens blanked.

    A token joined by hyphens, underscores, dots or slashes that holds a digit is a part
    number ("B6B-PH-K-S(LF)(SN)", "AB-GAN-3", "X-BMS-12"): its short letter groups are the maker's
    codes, not words, so "GAN" in it is no gallium nitride and "BMS" no battery board. Longer
    letter groups are words even there ("NdFeB-N52", "Brass-M3"), and a maker's series table
    decodes a part number on its own (`SERIES`). Letter groups of a token without a digit
    ("GaN-FET", "Li-ion") are words and stay."""
    return _CODE_CELL.sub(_mask_token, text) if text else text


def _mask_token(m: re.Match[str]) -> str:
    token = m.group(0)
    if not any(c.isdigit() for c in token):
        return token
    pieces = _CODE_JOINT.split(token)
    if len(pieces) < 3:  # no joint inside the token
        return token
    words = pieces[::2]  # pieces[1::2] are the joints
    if not any(p.isalpha() and len(p) <= _SHORT_LETTERS for p in words):
        return token
    # A part number: only its long letter groups are words ("NdFeB" of "NdFeB-N52-SH"); the
    # rest are codes, and a code left alone would read as a whole cell ("N30" of "GAN-N30"
    # as a magnet grade).
    return " ".join(p for p in words if p.isalpha() and len(p) > _SHORT_LETTERS) or " "


# --- series tables: a maker's MPN prefix decodes the part ------------------------------------
#
# (maker, regex on the whole MPN token (case-insensitive), kind, package group or None).
# Each prefix is the maker's documented part-numbering system (datasheets' "how to order").

SERIES: tuple[tuple[str, str, str, int | None], ...] = (
    # Murata: GRM/GCM/GCJ/GRJ/GJM/GQM/GRT MLCC, then size code 15=0402 18=0603 21=0805 31=1206.
    (
        "Murata",
        r"G(RM|CM|CJ|RJ|JM|QM|RT|MA|MD)\d{2,3}[0-9A-Z]+",
        "capacitor_ceramic",
        None,
    ),
    ("Murata", r"GRM39[0-9A-Z]+", "capacitor_ceramic", None),
    ("Murata", r"LQ[HMPW]\d{2}[0-9A-Z]+", "inductor", None),
    ("Murata", r"BLM\d{2}[0-9A-Z]+", "ferrite_bead", None),
    ("Murata", r"NC[PU]\d{2}[0-9A-Z]+", "thermistor", None),
    # Samsung Electro-Mechanics: CL + size (03,05,10,21,31,32,43,55) + dielectric letter.
    (
        "Samsung",
        r"CL(03|05|10|21|31|32|43|55)[ABCFX]\d{3}[0-9A-Z]+",
        "capacitor_ceramic",
        None,
    ),
    # TDK: C + metric size (C1005, C1608, C2012, C3216...), CGA/CGJ automotive MLCC.
    (
        "TDK",
        r"C(0402|0603|1005|1608|2012|3216|3225|4532|5750)[A-Z0-9]{4,}",
        "capacitor_ceramic",
        None,
    ),
    ("TDK", r"CG[AJ]\d[0-9A-Z]{6,}", "capacitor_ceramic", None),
    ("TDK", r"(MLZ|MLF|VLS|SPM|CLF|SLF)\d{4}[0-9A-Z]+", "inductor", None),
    ("TDK", r"MMZ\d{4}[0-9A-Z]+", "ferrite_bead", None),
    # Taiyo Yuden: voltage letter + MK + size (UMK316, TMK107, EMK212, JMK, LMK, GMK).
    ("Taiyo Yuden", r"[UTEJLGAH]MK\d{3}[0-9A-Z]+", "capacitor_ceramic", None),
    ("Taiyo Yuden", r"(NR|NRS|CB|LB|BR[LC])\d{4}[0-9A-Z]+", "inductor", None),
    # Yageo: CC = MLCC, RC/RT/AC = chip resistors, all followed by the EIA size.
    (
        "Yageo",
        r"CC(0201|0402|0603|0805|1206|1210|1812)[0-9A-Z]+",
        "capacitor_ceramic",
        None,
    ),
    (
        "Yageo",
        r"(RC|RT|AC|AF|RL)(0075|01005|0201|0402|0603|0805|1206|1210|2010|2512)[0-9A-Z.%-]+",
        "resistor_chip",
        None,
    ),
    # KEMET: C + EIA size + C (ceramic) MLCC; T491..T598 tantalum; A700 polymer aluminium.
    (
        "KEMET",
        r"C(0201|0402|0603|0805|1206|1210|1812|2220)C\d{3}[0-9A-Z]+",
        "capacitor_ceramic",
        None,
    ),
    ("KEMET", r"T(49[1-9]|5[0-9]{2})[A-Z]\d{3}[0-9A-Z]+", "capacitor_tantalum", None),
    ("KEMET", r"A7[05]0[A-Z]\d{3}[0-9A-Z]+", "capacitor_aluminium", None),
    # KYOCERA AVX: TAJ/TPS/TPM/TCJ/TLJ/TRJ/F93/F95 tantalum; size+voltage+C dielectric MLCC.
    (
        "AVX",
        r"(TAJ|TPS|TPM|TCJ|TLJ|TRJ|TCM|THJ|F9[1358])[A-Z]\d{3}[0-9A-Z]+",
        "capacitor_tantalum",
        None,
    ),
    (
        "AVX",
        r"(0201|0402|0603|0805|1206|1210|1812)[0-9YZ35A-D][ACG]\d{3}[0-9A-Z]+",
        "capacitor_ceramic",
        None,
    ),
    # Panasonic: EEE/EEU/EEV/EEH/EEF/EEA aluminium electrolytic; ERJ/ERA chip resistors;
    # ECJ MLCC; ETQP/ELL power inductors.
    ("Panasonic", r"EE[EUVHFA]-?[0-9A-Z]{4,}", "capacitor_aluminium", None),
    ("Panasonic", r"ER[JA]-?[0-9A-Z]{4,}", "resistor_chip", None),
    ("Panasonic", r"ECJ-?[0-9A-Z]{5,}", "capacitor_ceramic", None),
    ("Panasonic", r"(ETQ-?P|ELL-?)[0-9A-Z]{4,}", "inductor", None),
    # Vishay: CRCW/TNPW/MCT chip resistors; WSL/WSLP/WSR/WSK metal-strip shunts; IHLP inductors.
    ("Vishay", r"(CRCW|TNPW|MCT|MCS|RCG|RCA)\d{4}[0-9A-Z]+", "resistor_chip", None),
    ("Vishay", r"WS(L|LP|R|K|H)\d{4}[0-9A-Z.]+", "resistor_shunt", None),
    ("Vishay", r"IHL[PE]-?\d{4}[0-9A-Z-]+", "inductor", None),
    # Nichicon: U + series letters (UUD, UWT, UVR, UPW, UHE, UCD...) aluminium electrolytic.
    (
        "Nichicon",
        r"U(U[DGHJRX]|W[TXZ]|V[RYZK]|P[WMJS]|H[ENW]|C[DLMWZ]|B[TW]|K[AWZ]|E[PS]|ES)"
        r"\d[A-Z]\d{3}[0-9A-Z]+",
        "capacitor_aluminium",
        None,
    ),
    # Nippon Chemi-Con: E + series (EKY, EKZE, EMZA, EMVA, EKXG) aluminium electrolytic.
    (
        "Nippon Chemi-Con",
        r"E(KY|KZE|KZN|MZA|MVA|MVE|KXG|KXJ|MVY|GXE|LXZ|LXY)[0-9A-Z]{6,}",
        "capacitor_aluminium",
        None,
    ),
    ("Nippon Chemi-Con", r"APX[AEFG][0-9A-Z]{6,}", "capacitor_aluminium", None),
    # Rubycon: voltage + series (ZLH, YXF, ZL, MBZ, PX) aluminium electrolytic.
    (
        "Rubycon",
        r"\d{2,3}(ZLH|ZLJ|YXF|YXJ|ZLG|MBZ|PX|ZL|YK|ZLK)\d{2,4}M[0-9A-Z]+",
        "capacitor_aluminium",
        None,
    ),
    # Lelon RXW, Elite, Capxon-style radial electrolytics carry a series prefix + capacitance.
    ("Lelon", r"R(XW|XJ|XK|GA|GB)\d{3}M\d[A-Z][0-9A-Z-]+", "capacitor_aluminium", None),
    # KOA RK73 / Stackpole RMC/RNCP/CSR / UniOhm 0402WGF..., Bourns CR/CRM/CRE, Susumu RR/RG.
    ("KOA", r"RK73[A-Z0-9]+", "resistor_chip", None),
    ("Stackpole", r"(RMC|RNCP|RMCF|RNCF)[0-9A-Z%]+", "resistor_chip", None),
    ("Stackpole", r"CS(R|RN|S)\d{4}[0-9A-Z]+", "resistor_shunt", None),
    (
        "UniOhm",
        r"(0201|0402|0603|0805|1206|1210|2010|2512)W[0-9A-Z]{2}[FJD]\d{3,4}[0-9A-Z]+",
        "resistor_chip",
        None,
    ),
    (
        "Bourns",
        r"CR(M|E|T)?(0201|0402|0603|0805|1206|2010|2512)-[0-9A-Z-]+",
        "resistor_chip",
        None,
    ),
    ("Bourns", r"CRE2512-[0-9A-Z-]+", "resistor_shunt", None),
    ("Bourns", r"S(RN|RR|RP|DR|RU)\d{4}[0-9A-Z-]*", "inductor", None),
    ("Susumu", r"R[RG]\d{4}[A-Z]-[0-9A-Z-]+", "resistor_chip", None),
    ("Ohmite/TT", r"PE(0402|0603|0805|1206|2512)[0-9A-Z]+", "resistor_chip", None),
    # Wuerth: 744... WE-PD/WE-LHMI power inductors, 742/7427 ferrites, 885 MLCC, 150 LEDs.
    ("Wurth", r"74(4|43)\d{5,}", "inductor", None),
    ("Wurth", r"742\d{6}", "ferrite_bead", None),
    ("Wurth", r"885\d{9}", "capacitor_ceramic", None),
    (
        "Coilcraft",
        r"(XAL|XFL|XEL|MSS|LPS|DO\d{4}|SER)\d{0,4}-?\d{3}[0-9A-Z]+",
        "inductor",
        None,
    ),
    # GaN power transistors: EPC eGaN (EPC2xxx), GaN Systems GS6xxxx, Transphorm TP65H/TPH3,
    # Innoscience INN, Navitas NV6, TI LMG34/LMG36.
    ("EPC", r"EPC[28]\d{3}[0-9A-Z]*", "transistor_gan", None),
    ("GaN Systems", r"GS(61|66|65)\d{3}[0-9A-Z-]*", "transistor_gan", None),
    ("Transphorm", r"TP(65H|90H|44|H3)\d{3}[0-9A-Z]*", "transistor_gan", None),
    ("Innoscience", r"INN\d{2,3}[A-Z]{1,2}\d{2,3}[0-9A-Z]*", "transistor_gan", None),
    ("Navitas", r"NV6\d{3}[0-9A-Z]*", "transistor_gan", None),
    ("Texas Instruments", r"LMG3[4-6]\d{2}[0-9A-Z]*", "transistor_gan", None),
    # SiC: Wolfspeed C2M/C3M MOSFETs and C3D/C4D/C6D/E4D Schottky diodes, ST SCT, onsemi
    # NTH/NVH4L..N065SC/NTBG..N120SC, Infineon IMW/IMZ/IMBG/IDH..G65C (CoolSiC), Rohm SCT/SCS,
    # Qorvo/UnitedSiC UJ3C/UF3C/UJ4C.
    ("Wolfspeed", r"C[23]M\d{7}[0-9A-Z-]*", "transistor_sic", None),
    ("Wolfspeed", r"[CE][346]D\d{5}[0-9A-Z-]*", "diode_sic", None),
    (
        "STMicroelectronics",
        r"SCT[WHL]?\d{2,3}N\d{2,3}[0-9A-Z-]*",
        "transistor_sic",
        None,
    ),
    ("Rohm", r"SC[TS]\d{4}[0-9A-Z]+", "transistor_sic", None),
    ("Infineon", r"IM(W|Z|BG|BF|T)\d{2,3}R\d{3}M\d[0-9A-Z]*", "transistor_sic", None),
    ("Infineon", r"ID[HWMK]\d{2}G\d{2}C\d[0-9A-Z]*", "diode_sic", None),
    (
        "onsemi",
        r"N[TV][HBW][A-Z0-9]{1,3}\d{3}N\d{3}SC\d?[0-9A-Z]*",
        "transistor_sic",
        None,
    ),
    ("Qorvo", r"U[JF][34]C\d{3}[0-9A-Z]+", "transistor_sic", None),
    # LEDs: Lite-On LTST/LTL, Kingbright KP/APT/APHHS, Everlight 19-21/..., Osram LB/LT/LW/LY
    # (TOPLED), Cree XP/XH/XB/JE, Nichia NS/NC, Samsung LM281/LM301, Foshan/NationStar FC-2012.
    ("Lite-On", r"LT(ST|L|W)-?[0-9A-Z]{3,}[0-9A-Z-]*", "led", None),
    ("Kingbright", r"(KP|APT|APHHS|APHCM|AA|KA)-?\d{4}[0-9A-Z-]+", "led", None),
    ("Osram", r"L[BTWYSRA]\s?[A-Z]\d{2}[A-Z][0-9A-Z-]*", "led", None),
    (
        "Cree",
        r"(XP|XH|XB|XQ|XM|JE|MH|ML)[A-Z][A-Z0-9]{2,}-[0-9A-Z-]+",
        "led_white",
        None,
    ),
    ("Samsung", r"LM(281|301|561|302)[0-9A-Z]*", "led_white", None),
    ("Nichia", r"N[SC][SPW][WLBGR]\d{3}[0-9A-Z-]*", "led", None),
    ("Foshan NationStar", r"FC-\d{4}[A-Z]{2,4}-\d{3}[0-9A-Z]*", "led", None),
    ("Everlight", r"(1[79]|2[16])-(21|213|217|215)/[0-9A-Z/-]+", "led", None),
    # Crystals: Abracon ABM/ABLS/ABS, Epson FA/TSX/FC, ECS-..., NDK NX.
    ("Abracon", r"AB(M|LS|S)\d{1,2}[A-Z]?-\d[0-9A-Z.-]*", "crystal", None),
    ("ECS", r"ECS-\d{2,4}[0-9A-Z.-]+", "crystal", None),
    ("Epson", r"(FA-|TSX-|FC-1|MC-)\d{2,4}[0-9A-Z.-]*", "crystal", None),
)
"""Maker MPN series. Patterns run on the whole token, upper-cased, distributor prefix removed."""

# One alternation for the whole table: the regex engine tries the series in table order and
# stops at the first that matches the whole token, as a loop over them would, without a Python
# call per series (a BOM's part-number cells are mostly distinct, so each is read once).
_SERIES_ANY = re.compile(
    "|".join(f"(?P<s{i}>(?:{rx})$)" for i, (_, rx, _, _) in enumerate(SERIES)), re.IGNORECASE
)

# Li-ion cells by model code. IEC 61960 names a secondary lithium cell by its negative electrode
# (I: carbon/graphite), positive electrode (C cobalt, N nickel, M manganese, F iron phosphate),
# shape (R round) and size (18650: 18 mm x 65.0 mm). Panasonic NCR cells are NCA (Ni-Co-Al).
_CELL_CODE = re.compile(
    r"^(?P<code>[IU]?[CNMF]R|NCR|US|UR)(?P<size>1[0-9]{4}|2[0-9]{4}|"
    r"3[0-9]{4}|4680\d?)[0-9A-Z-]*$",
    re.IGNORECASE,
)
_CELL_CHEMISTRY = {
    "ICR": "lco",
    "INR": "nmc",
    "IMR": "lmo",
    "IFR": "lfp",
    "NCR": "nca",
    "UR": "lco",
    "US": None,
    "CR": None,
    "NR": "nmc",
    "MR": "lmo",
    "FR": "lfp",
}
_CELL_FORMAT = re.compile(
    r"^(10440|14500|16340|18350|18500|18650|20700|21700|26650|32700|"
    r"4680|46800|2170)$"
)
_CELL_MODELS = re.compile(
    r"^(VTC[4-6][A]?|25R|30Q|35E|40T|48G|50E|50G|MJ1|HG2|M50LT|P42A|P45B|"
    r"P28A|NCR18650[A-Z]*|LG[A-Z]{2}\d{5}[A-Z0-9]*)$",
    re.IGNORECASE,
)

# --- packages and footprints -----------------------------------------------------------------

_CHIP_SIZES = "01005|0201|0402|0603|0805|1008|1206|1210|1806|1812|2010|2220|2512|2725|2726"
_METRIC_SIZES = "0402|0603|1005|1608|2012|3216|3225|4532|5025|5750|6432"
_KICAD_FOOTPRINT = re.compile(
    r"^(?:[A-Za-z_]+:)?(?P<prefix>C|CP|R|L|D|LED|Fuse|F|FB|RN)_(?P<rest>.*)$",
    re.IGNORECASE,
)
_MOLDED_CHIP = re.compile(r"^(EIA-\d{4}|Tantalum)", re.IGNORECASE)
_CHIP = re.compile(rf"(?<![0-9])(?P<size>{_CHIP_SIZES})(?![0-9])")
_METRIC = re.compile(rf"(?<![0-9])(?P<size>{_METRIC_SIZES})Metric", re.IGNORECASE)
_EASYEDA = re.compile(
    rf"^(?P<prefix>C|R|L|LED|D|F|FB)(?P<size>{_CHIP_SIZES})(-\w+)?$", re.IGNORECASE
)
_SMD_SIZE = re.compile(rf"^(SMD|SM|CASE)[-_]?(?P<size>{_CHIP_SIZES})$", re.IGNORECASE)
_TANT_CASE = re.compile(
    r"^(?:[A-Za-z_]+:)?C(AP)?_?TANT(ALUM)?[-_]?(?P<case>[A-EVXYRSTUW])\b", re.IGNORECASE
)
_SEMI_PACKAGE = re.compile(
    r"^(?:[A-Za-z_]+:)?\d{0,3}(?P<pkg>SOT-?\d{2,3}(-\d)?|SOD-?\d{2,3}[A-Z]*|SC-?\d{2}|TO-?\d{2,3}[A-Z]*|"
    r"D2PAK|DPAK|D2PAK-7|I2PAK|PowerPAK|LFPAK\d*|DO-?\d{2,3}[A-Z()]*|SM[ABC]|SOIC-?\d*|SOP-?\d*|"
    r"SSOP-?\d*|TSSOP-?\d*|HTSSOP-?\d*|MSOP-?\d*|VSSOP-?\d*|QFN-?\d*|VQFN-?\d*|HVQFN-?\d*|"
    r"DFN-?\d*|WSON-?\d*|SON-?\d*|LQFP-?\d*|TQFP-?\d*|QFP-?\d*|BGA-?\d*|LGA-?\d*|WLCSP-?\d*|"
    r"DIP-?\d*|PDIP-?\d*|SO-?\d+|SO8FL|5X6_MOSFET|HSOP-?\d*|SOT-?223(-\d)?|TO-?252|TO-?263(-\d)?)"
    r"(?=$|[-_ ])",
    re.IGNORECASE,
)
_FOOTPRINT_KIND = (
    (
        re.compile(r"^(?:[A-Za-z_]+:)?(Crystal|XTAL|Oscillator|OSC)", re.IGNORECASE),
        "crystal",
    ),
    (
        re.compile(
            r"^(?:[A-Za-z_]+:)?(PinHeader|PinSocket|Pin_Header|Pin_Socket|Conn|Connector|JST|"
            r"USB|HDR|CONN|TerminalBlock|Molex|RJ\d\d|Box_Header|DC-IN|Phoenix|IDC|"
            r"Micro_JST|MICRO_JST|Barrel|SMA_|U\.FL|TE_|Hirose|Wuerth_|BNC|XT\d\d)",
            re.IGNORECASE,
        ),
        "connector",
    ),
    (
        re.compile(r"^(?:[A-Za-z_]+:)?(SW|Button|Switch|KEY)[-_]", re.IGNORECASE),
        "switch",
    ),
    (re.compile(r"^(?:[A-Za-z_]+:)?(IND|Inductor)[-_]", re.IGNORECASE), "inductor"),
    (
        re.compile(r"^(?:[A-Za-z_]+:)?(CAP|CP)[-_](TH|SMD|Elec|Radial|Axial)", re.IGNORECASE),
        "capacitor_aluminium",
    ),
    (re.compile(r"^(?:[A-Za-z_]+:)?(Fuse|FUSE|KEYSTONE-FUSE)", re.IGNORECASE), "fuse"),
    (re.compile(r"^(?:[A-Za-z_]+:)?(Relay)", re.IGNORECASE), "relay"),
    (re.compile(r"^(?:[A-Za-z_]+:)?(LED)[-_]?", re.IGNORECASE), "led"),
    (
        re.compile(r"^(?:[A-Za-z_]+:)?(WIFI|Module|RF_Module)[-_]", re.IGNORECASE),
        "board",
    ),
)
_PLACED = 6.0
"""Weight of a footprint column naming a connector, crystal, switch, fuse, relay, LED or module
footprint: more than a name cell's head word and its other words together, since what is
soldered is that part ("Battery" on a JST footprint is the battery's connector). Chip-passive
footprints (R_0603...) weigh less: designers reuse them for ferrite beads and jumpers."""
_PREFIX_KIND = {
    "C": "capacitor",
    "CP": "capacitor_aluminium",
    "R": "resistor",
    "L": "inductor",
    "D": "diode",
    "LED": "led",
    "FUSE": "fuse",
    "F": "fuse",
    "FB": "ferrite_bead",
    "RN": "resistor",
}
_SEMI_KIND_BY_DESIGNATOR = {
    "Q": "transistor",
    "D": "diode",
    "U": "ic",
    "IC": "ic",
    "T": "transistor",
    "VR": "ic",
    "Z": "diode",
    "ZD": "diode",
    "TVS": "diode",
    "LED": "led",
}

# --- reference designators (IEEE 315 / ASME Y14.44 class letters) ----------------------------

DESIGNATORS: dict[str, str] = {
    "C": "capacitor",
    "R": "resistor",
    "RN": "resistor",
    "RV": "resistor",
    "RT": "thermistor",
    "TH": "thermistor",
    "NTC": "thermistor",
    "L": "inductor",
    "FB": "ferrite_bead",
    "FL": "ferrite_bead",
    "D": "diode",
    "ZD": "diode",
    "TVS": "diode",
    "LED": "led",
    "Q": "transistor",
    "U": "ic",
    "IC": "ic",
    "Y": "crystal",
    "X": "crystal",
    "XT": "crystal",
    "XTAL": "crystal",
    "J": "connector",
    "P": "connector",
    "CN": "connector",
    "CON": "connector",
    "H": "hardware",
    "MH": "hardware",
    "FID": "fiducial",
    "F": "fuse",
    "SW": "switch",
    "S": "switch",
    "K": "relay",
    "BT": "battery_cell",
    "B": "battery_cell",
    "M": "motor",
    "T": "transformer",
    "TP": "test_point",
}
"""Designator class letters. Single letters that mean different things in different houses
(X: crystal or connector, T: transformer or transistor) carry less weight."""
_AMBIGUOUS_DESIGNATORS = {"X", "T", "P", "B", "S", "H", "M"}
_DESIGNATOR = re.compile(r"^(?P<prefix>[A-Z]{1,4})(?P<n>\d{1,4})[A-Z]?$")
_DESIGNATOR_HEADERS = re.compile(
    r"(designator|reference|refdes|ref des|^refs?\b|^part$|^parts$|^position|bestückung|"
    r"bauteil|repère|位号)",
    re.IGNORECASE,
)

# KiCad symbol names ("Device:C", "Device:Q_NMOS_GSD", "Connector:Conn_01x02_Male"): the
# library and symbol say which kind of part the designer placed.
_SYMBOL = re.compile(r"^(?P<lib>[A-Za-z_]+)(?:-rescue)?:(?P<name>[A-Za-z0-9_+-]+)$")
_SYMBOL_NAMES = (
    (re.compile(r"^(C|C_Small|C_Feedthrough)$"), "capacitor"),
    (re.compile(r"^(CP|CP_Small|C_Polarized\w*|CP1\w*)$"), "capacitor_aluminium"),
    (re.compile(r"^(R|R_Small|R_US|R_Pack\w*|R_Network\w*)$"), "resistor"),
    (re.compile(r"^(R_Shunt\w*)$"), "resistor_shunt"),
    (re.compile(r"^(Thermistor\w*|R_NTC\w*)$"), "thermistor"),
    (re.compile(r"^(L|L_Small|L_Core\w*|L_Iron\w*)$"), "inductor"),
    (re.compile(r"^(Ferrite_?Bead\w*|FerriteBead\w*)$"), "ferrite_bead"),
    (re.compile(r"^(LED\w*)$"), "led"),
    (re.compile(r"^(D|D_\w+|Diode\w*)$"), "diode"),
    (re.compile(r"^(Q_\w+|Q|.*MOSFET\w*)$"), "transistor"),
    (re.compile(r"^(Crystal\w*|Resonator\w*)$"), "crystal"),
    (re.compile(r"^(Fuse\w*|Polyfuse\w*)$"), "fuse"),
    (re.compile(r"^(Battery\w*)$"), "battery_cell"),
    (re.compile(r"^(SW_\w+|Switch\w*)$"), "switch"),
)
_SYMBOL_LIBS = (
    (re.compile(r"^(Connector\w*|Conn_\w+)$", re.I), "connector"),
    (
        re.compile(
            r"^(MCU_\w+|Interface\w*|Regulator_\w+|Amplifier_\w+|Isolator\w*|Logic_\w+|"
            r"Memory_\w+|Driver_\w+|Sensor_\w+|Reference_Voltage|Power_Management|"
            r"Analog_\w+|Timer\w*|Comparator\w*)$",
            re.I,
        ),
        "ic",
    ),
    (re.compile(r"^(LED)$", re.I), "led"),
    (re.compile(r"^(Transistor_\w+)$", re.I), "transistor"),
    (re.compile(r"^(Diode\w*)$", re.I), "diode"),
    (re.compile(r"^(Relay\w*)$", re.I), "relay"),
    (re.compile(r"^(Motor)$", re.I), "motor"),
)

# Semiconductor part-numbering families (JEDEC 1N/2N registrations, Pro Electron BC/BZX, and
# makers' series): a token that starts so is a discrete or an IC of that kind.
_SEMI_SERIES = (
    (
        re.compile(
            r"^(1N\d{3,4}|BZ[TVX]\d+|BAT\d{2}|BAV\d{2}|BAS\d{2}|SS[1-3]\d|SMAJ|SMBJ|SMCJ|"
            r"P[46]KE|MBR[SBDA]?\d|PMEG\d|LESD|ESD\d|SMF\d|US1|ES[1-3]|S[1-3][ABDGJKM]|"
            r"MURS?\d|TL43\d|LM385|LM4040)",
            re.I,
        ),
        "diode",
    ),
    (
        re.compile(
            r"^(2N\d{4}|BC[58]\d{2}|MMBT|BSS\d{2,3}|AO\d{4}|IRF[A-Z]*\d|IRL[A-Z]*\d|SI\d{4}|"
            r"SIR\d|PSMN|BSC\d|BSZ\d|NTMFS|NVMFS|IP[BDPTWL]\d|S8050|S8550|SS8050|DMG\d|"
            r"DMN\d|DMP\d|FD[DMSP]\d|CSD\d{5}|BUK\d|2SC\d|2SA\d|TIP\d)",
            re.I,
        ),
        "transistor",
    ),
    (
        re.compile(
            r"^(STM32|STM8|ATMEGA|ATTINY|ATSAM|AT90|PIC\d|DSPIC|RP2040|NRF5|GD32|CH32|LPC\d|"
            r"MSP430|ESP32-[A-Z]\d|ESP8266EX|LM\d{3,4}|LMR\d|LMZ|TPS\d|TLV\d|OPA\d|INA\d|"
            r"DRV\d|MAX\d|ADUM|AD\d{3,4}|ADM\d|SN65|SN74|74HC|74LVC|74AHC|CD4\d|NE555|"
            r"AMS1117|AZ1117|AP\d{4}|MCP\d|LP\d{4}|UCC\d|BQ\d|TMC\d{4}|A4988|TB\d{4}|"
            r"L298|ULN2|XL\d{4}|MP\d{4}|SY\d{4}|RT\d{4}|CH340|CP210|FT232|PC817|EL3H|EL817|"
            r"TLP\d|HCPL|IS[OL]\d|W25Q|AT24|24LC|LTC\d|LT\d{4}|ADP\d|ISL\d|TJA\d|MCP25|"
            r"SP3\d|USBLC|TPD\d|IP42|D1213)",
            re.I,
        ),
        "ic",
    ),
    (
        re.compile(r"^(ESP32-(WROOM|WROVER|MINI|S\d)|ESP-\d{2}|HC-0\d|NRF24)", re.I),
        "board",
    ),
)

# --- values ----------------------------------------------------------------------------------

_CAPACITANCE = re.compile(r"^(\d+(?:[.,]\d+)?|\d+[pnuµμ]\d+)\s?[pnuµμ]?[fF]$|^\d+[pnuµμ]\d*$")
_CAP_UNIT = re.compile(r"^\d+(?:[.,]\d+)?\s?(pf|nf|uf|µf|μf|mf)$", re.IGNORECASE)
_CAP_BARE = re.compile(r"^\d+(?:[.,]\d+)?[pnuµμ]$|^\d+[pnuµμ]\d+$")
_INDUCTANCE = re.compile(r"^\d+(?:[.,]\d+)?\s?(nh|uh|µh|μh|mh)$|^\d+[uµμn]\d*h$", re.IGNORECASE)
_RESISTANCE = re.compile(
    r"^\d+(?:[.,]\d+)?\s?(k|m|r|kohms?|mohms?|ohms?|ω|kω|mω|mΩ|Ω|kΩ)$|"
    r"^\d+[rkm]\d+$",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(r"^\d+(?:[.,]\d+)?\s?(mhz|khz)$", re.IGNORECASE)
_DIELECTRIC = re.compile(r"^(x[5-8][rstpvu]|c0g|cog|np0|npo|y5v|z5u|x7t|u2j)$", re.IGNORECASE)
"""EIA RS-198 ceramic dielectric classes: only ceramic capacitors are specified by them."""

# --- words -------------------------------------------------------------------------------------
#
# Whole words (after folding to lower case); multi-word phrases first. Each names a kind.

WORDS: tuple[tuple[str, str], ...] = (
    # fasteners first: "cap head screw" is not a capacitor, "lead screw" holds no lead
    (
        r"(socket|cap|button|pan|flat|cheese|hex|countersunk|countersink|csk) head",
        "fastener",
    ),
    (r"lead ?screws?|leadscrews?|ball ?screws?|acme (lead )?screw", "lead_screw"),
    (
        r"shcs|bhcs|fhcs|screws?|bolts?|nuts?|locknuts?|washers?|rivets?|standoffs?|"
        r"heat ?set inserts?|threaded inserts?|inserts?|t ?nuts?|grub|set screws?|studs?|"
        r"dowels?|dowel pins?|spring pins?|circlips?|e ?clips?|shims?|spacers?",
        "fastener",
    ),
    (
        r"din ?(912|933|934|965|7991|7380|985|125|9021|6912|7984|439|471|472)|"
        r"iso ?(4762|4017|4032|7380|10642|7089|7090|8734|2338|4026|4029)",
        "fastener",
    ),
    (
        r"(ball|roller|needle|thrust|axial|flanged|linear|deep groove|tapered|pillow block|"
        r"self ?lubricating|sleeve|plain)? ?bearings?|bushings?|bushes|cojinetes?|rodamientos?|"
        r"lager|kugellager",
        "bearing",
    ),
    (
        r"linear (rail|guide|guides|slide)s?|lineal guides?|rails?|carriages?",
        "linear_rail",
    ),
    (
        r"(aluminium|aluminum|alu) (extrusion|profile)s?|extrusions?|profiles?|"
        r"[tv] ?slot|[tv] ?slots",
        "extrusion",
    ),
    (r"heat ?sinks?|heatsinks?|kühlkörper|dissipateur", "heat_sink"),
    (
        r"brackets?|corner brackets?|angle brackets?|plates?|joining plates?|mounts?|"
        r"flexplates?|sheets?|panels?|frames?|chassis|enclosures?|housings?|covers?|cases?|"
        r"boxes|box|lids?|base|bases",
        "structural",
    ),
    (
        r"cable ties?|zip ties?|tie wraps?|kapton|tapes?|fish paper|insulation|insulators?|"
        r"heat ?shrink|sleeving|sleeves?|labels?|stickers?|grommets?|feet|foot|gaskets?|o ?rings?|"
        r"pads?|thermal pads?",
        "plastic_part",
    ),
    (r"holders?|cell holders?|clips?|clamps?", "structural"),
    (
        r"interconnects?|bus ?bars?|busbars?|nickel strips?|tabs?|"
        r"(nickel|ni)[ -]?plated (steel )?(strips?|tabs?)|pure nickel( strips?)?",
        "busbar",
    ),
    (r"meters?|displays?|gauges?|lcd|oled|screens?", "instrument"),
    (r"springs?|compression springs?|extension springs?", "spring"),
    (r"belts?|timing belts?", "belt"),
    (r"pulleys?|idlers?", "pulley"),
    (r"sprockets?|gears?|spur gears?|worm gears?", "gear"),
    (r"couplers?|couplings?|shaft couplers?", "coupler"),
    (r"shafts?|rods?|rod bars?|axles?|pins?|balls?", "shaft"),
    (r"magnets?|imanes?|magnete?", "magnet"),
    (
        r"stepper|stepper motors?|step motors?|stepping motors?|schrittmotor",
        "stepper_motor",
    ),
    (
        r"bldc|outrunner|inrunner|brushless motors?|bldc motors?|gimbal motors?",
        "bldc_motor",
    ),
    (
        r"motors?|servo|servos|servo motors?|gear ?motors?|gearbox|gearboxes|stators?",
        "motor",
    ),
    (r"fans?|blowers?|lüfter", "fan"),
    (r"power ?suppl(y|ies)|power ?suppy|psu|ac dc|ac/dc|netzteil", "power_supply"),
    (r"sensors?|probes?|encoders?|endstops?|end stops?|limit switch(es)?", "sensor"),
    (
        r"heaters?|heater beds?|heating pads?|hotends?|hot ends?|extruders?|nozzles?",
        "heater",
    ),
    (
        r"cells?|batter(y|ies)|li ?ion|lithium ion|li ?po|lipo|lithium polymer|akku",
        "battery_cell",
    ),
    (
        r"pcba?s?|printed circuit boards?|circuit boards?|boards?|motherboards?|mainboards?|"
        r"modules?|breakout|dev ?boards?|arduino|raspberry ?pi|esp32 devkit|shields?|bms|"
        r"controllers?|control boards?|drivers?|stepper drivers?|motor drivers?|esc",
        "board",
    ),
    (r"wires?|cables?|wiring|leads|harness(es)?|cords?|litz", "wire"),
    (r"tubes?|tubing|hoses?|pipes?", "tube"),
    (
        r"connectors?|headers?|pin headers?|sockets?|receptacles?|plugs?|jacks?|terminals?|"
        r"terminal blocks?|term blocks?|conn|spade terminals?|crimps?|usb|rj45|rj12|xt30|xt60|xt90|"
        r"jst|molex|barrel jacks?|glands?|cable glands?",
        "connector",
    ),
    (r"mlcc|ceramic capacitors?|cap cer|cer caps?", "capacitor_ceramic"),
    (r"tantalum|tant|cap tant|ta caps?", "capacitor_tantalum"),
    (
        r"electrolytic|elko|elco|cap alum|alum poly|aluminum electrolytic|aluminium electrolytic|"
        r"polymer capacitors?|polarised capacitor|polarized capacitor|polarised|polarized",
        "capacitor_aluminium",
    ),
    (r"film capacitors?|mkp|mkt|polypropylene capacitors?", "capacitor_film"),
    (
        r"capacitors?|caps?|condensateurs?|kondensatoren?|kondensator|condensadores?",
        "capacitor",
    ),
    (r"shunts?|current sense resistors?|sense resistors?", "resistor_shunt"),
    (r"thermistors?|ntc|ptc", "thermistor"),
    (r"resistors?|res|widerstand|widerstände|résistance", "resistor"),
    (r"ferrite beads?|ferrites?|beads?", "ferrite_bead"),
    (r"inductors?|chokes?|coils?|ind|drossel|spule", "inductor"),
    (r"leds?|light emitting diodes?", "led"),
    (r"diodes?|schottky|shottky|zener|tvs|rectifiers?|esd protection", "diode"),
    (r"mosfets?|transistors?|igbts?|bjt|fets?|npn|pnp|n ch|p ch", "transistor"),
    (r"gan fets?|gan transistors?|gan hemts?|egan", "transistor_gan"),
    (r"sic mosfets?|silicon carbide", "transistor_sic"),
    (r"crystals?|xtal|oscillators?|resonators?|quartz", "crystal"),
    (
        r"ic|ics|mcu|microcontrollers?|cpu|fpga|ldo|regulators?|vreg|op ?amps?|amplifiers?|"
        r"transceivers?|gate drivers?|mosfet drivers?|comparators?|adc|dac|eeprom|flash|"
        r"isolators?|optocouplers?|opto|vreg|buck converter|boost converter|converters?|"
        r"arm cortex|voltage reference|references?",
        "ic",
    ),
    (r"fuses?|polyfuses?|ptc fuses?", "fuse"),
    (r"switch(es)?|buttons?|push ?buttons?|tactile|estop|e ?stop", "switch"),
    (r"relays?|ssr|solid state relays?", "relay"),
    (r"transformers?", "transformer"),
    (r"fiducials?|mounting holes?|test points?|holes?", "fiducial"),
    (r"printed parts?|3d printed|print", "plastic_part"),
)
_WORD_RULES = [(re.compile(rf"(?<![\w.-])(?:{rx})(?![\w-])"), kind) for rx, kind in WORDS]

MATERIALS: tuple[tuple[str, str], ...] = (
    (r"a4|a4 ?70|a4 ?80|316l?|ss ?316l?|1\.4401|1\.4404|marine grade", "stainless_a4"),
    (
        r"stainless|inox|a2|a2 ?70|304l?|ss ?304|18 ?8|1\.4301|ss|rostfrei",
        "stainless_a2",
    ),
    (r"brass|messing|laiton", "brass"),
    (r"phosphor bronze|bronze|sintered bronze|oilite|selfoil", "bronze"),
    (r"copper|kupfer|cuivre", "copper"),
    (r"aluminium|aluminum|alu|6061|6063|7075|anodi[sz]ed|alum", "aluminium"),
    (r"titanium|ti ?6al ?4v|grade 5 ti", "titanium"),
    (
        r"steel|stahl|acier|acero|carbon steel|alloy steel|12\.9|10\.9|8\.8|black oxide|"
        r"zinc plated|galvani[sz]ed|chrome steel|gcr15|52100|spring steel",
        "steel",
    ),
    # Silicones (PDMS) are Si-O polymers made from silicon metal: not a carbon-chain plastic.
    (r"silicones?|silikon|pdms|polydimethylsiloxane", "silicone"),
    (
        r"nylon|polyamide|pa6|pa12|pa66|pom|delrin|acetal|abs|pla|petg|pet|asa|tpu|pc|"
        r"polycarbonate|acrylic|pmma|peek|pei|ultem|hdpe|ldpe|uhmw|pp|polypropylene|pe|"
        r"polyethylene|pvc|ptfe|teflon|rubber|epdm|nbr|neoprene|viton|foam|eva|"
        r"polyurethane|pu|plastic|plastics|kunststoff|plastique|igus|iglidur|"
        r"fiberglass|carbon fibre|carbon fiber",
        "plastic",
    ),
    (r"wood|plywood|mdf|madera|holz", "wood"),
    (
        r"ndfeb|neodymium|neodym|neo|rare earth|nd ?fe ?b|n(35|38|40|42|45|48|50|52|55)"
        r"(m|h|sh|uh|eh|ah)?",
        "ndfeb",
    ),
    (r"ferrite magnet|ceramic magnet|hard ferrite|y30|y35|c8", "ferrite"),
    (r"smco|samarium cobalt|sm2co17|smco5", "smco"),
    (r"alnico", "alnico"),
    (r"zirconia|ceramic|si3n4|silicon nitride", "ceramic"),
)
_MATERIAL_RULES = [(re.compile(rf"(?<![\w.-])(?:{rx})(?![\w-])"), m) for rx, m in MATERIALS]

# --- mechanical size codes -------------------------------------------------------------------

# ISO 15 / ABMA bearing codes: series digits + bore code, with shields/seals (ZZ, 2RS, RS) or a
# flange prefix (F): 608ZZ, 6805-2RS, F688ZZ, MR105ZZ; thrust needle AXK; tapered HR329xxJ.
_BEARING_CODE = re.compile(
    r"^(F|MF|MR|SMR)?(6[0-9]{2,3}|[1-9]\d{2}|R\d{1,2})(-?(ZZ|2RS|RS|2Z|Z|"
    r"DDU|LLU|2RSH|RZ|VV))$|^(AXK|NK|HK|NA|LM|LMK|LMF|KP|UCP|KFL|SC)"
    r"\d{2,5}[A-Z]*(UU|OP)?$|^HR3\d{4}J$|^(LM|LMK|LMF|SC|SCS)\d{1,2}(UU|LUU|AJ|OP)$",
    re.IGNORECASE,
)
_METRIC_FASTENER = re.compile(
    r"^M-?(1\.6|2|2\.5|3|4|5|6|8|10|12|14|16|20|24)(\s?[x×]\s?L?\d+(\.\d+)?"
    r"(mm)?)?$",
    re.IGNORECASE,
)
_NEMA = re.compile(r"\bnema[\s-]?(8|11|14|17|23|24|34|42)\b", re.IGNORECASE)
_STEPPER_CODE = re.compile(
    r"^(17|23|14|11)HS\d{2,4}[0-9A-Z-]*$|^SM\d{2}HT\d{2}-\d{4}[A-Z]*$", re.IGNORECASE
)
_RAIL_CODE = re.compile(r"^(MGN|MGW|HGR|HGH|HGW|SBR|EGH|EGW)\d{1,2}[A-Z]{0,2}$", re.IGNORECASE)
_EXTRUSION_CODE = re.compile(r"^(1515|2020|2040|2060|2080|3030|3060|4040|4080|8080)$")
_OUTRUNNER = re.compile(r"^\d{4}(kv|-\d{3,4}kv)$|^\d{3,5}kv$", re.IGNORECASE)
_DIMENSIONS = re.compile(
    r"\b\d+(\.\d+)?\s?[x×]\s?\d+(\.\d+)?(\s?[x×]\s?\d+(\.\d+)?)?\s?mm\b|"
    r"\b\d+\s?mm\s?[x×]\s?\d+\s?mm\b|\bd\d+(\.\d+)?\s?[x×]\s?\d+",
    re.I,
)
_NDFEB_GRADE = re.compile(r"^N(35|38|40|42|45|48|50|52|55)(M|H|SH|UH|EH|AH)?$", re.IGNORECASE)


# --- recognition -----------------------------------------------------------------------------


@dataclass
class _Found:
    evidence: list[Evidence] = field(default_factory=list)
    materials: list[tuple[str, str, str]] = field(default_factory=list)  # (material, cell, token)
    package: str | None = None
    sizes: dict[str, str] = field(default_factory=dict)
    """Size key per mechanical kind or cell (`bom.sizes`), reported as the package."""
    socket_head: bool = False

    def add(self, kind: str, rule: str, cell: str, token: str, weight: float) -> None:
        self.evidence.append(Evidence(kind, rule, cell, token, weight))


Cells = tuple[tuple[str, str], ...]
"""A line's cells: (header or field, text), in the order the BOM gives them."""

_PROSE_FIELDS = ("description", "material", "notes", "value", "comment", "name")
_NAME_FIELDS = ("description", "value", "comment", "name")


# What a cell says about the part is in its first words; a description of a few kilobytes is
# pasted text (a datasheet, a log), and reading a megabyte cell with every rule took seconds.
CELL_CHARACTERS = 2000


def recognise(cells: Iterable[tuple[str, str]]) -> Recognition:
    """Recognise a line from its cells ((header, text) pairs; blank cells are skipped; only a
    cell's first CELL_CHARACTERS characters are read)."""
    kept = tuple(
        (h, t[:CELL_CHARACTERS].strip()) for h, t in cells if isinstance(t, str) and t.strip()
    )
    return _recognise(kept)


@lru_cache(maxsize=65536)
def _recognise(cells: Cells) -> Recognition:
    found = _Found()
    prose_seen = False
    for header, text in cells:
        is_prose = header in _PROSE_FIELDS or not _looks_like_code(text)
        # Notes and material cells say what a part is made of or for, never what it is:
        # their words count, but the head noun comes from the line's name cells.
        names = header not in ("notes", "material")
        cell = _read_cell(header, text, is_prose, head=is_prose and names and not prose_seen)
        found.evidence.extend(cell.evidence)
        found.materials.extend(cell.materials)
        found.package = found.package or cell.package
        _merge_sizes(found, cell)
        if is_prose:
            prose_seen = prose_seen or header in _NAME_FIELDS
    return _resolve(found)


def _merge_sizes(found: _Found, cell: _Found) -> None:
    """The first cell naming a size keeps it, except that a screw size with a length ("M3x8")
    outranks a bare thread size ("M3") read from an earlier cell."""
    for kind, key in cell.sizes.items():
        held = found.sizes.get(kind)
        if held is None or (kind == "fastener" and "x" not in held.lower() and "x" in key.lower()):
            found.sizes[kind] = key
    found.socket_head = found.socket_head or cell.socket_head


@lru_cache(maxsize=1 << 17)
def _read_cell(header: str, text: str, is_prose: bool, head: bool) -> _Found:
    """What one cell says, whatever line it is on. Cached: a BOM repeats the same cells (a
    description, a footprint, a maker) on many lines, and each cell is read by a few hundred
    patterns. The result is shared between lines, so callers copy from it, never into it."""
    found = _Found()
    if _DESIGNATOR_HEADERS.search(header) or header == "designator":
        _designators(found, header, text)
    for token in tokens(text):
        _token_rules(found, header, token)
    _dimension_rules(found, header, text)
    if is_prose:
        _word_rules(found, header, text, head=head)
    return found


def _looks_like_code(text: str) -> bool:
    """A cell holding one token with digits (an MPN, a footprint) is read by token rules only."""
    parts = tokens(text)
    return len(parts) == 1 and any(c.isdigit() for c in parts[0])


def _designators(found: _Found, header: str, text: str) -> None:
    refs = [t for t in re.split(r"[\s,;]+", text) if t]
    prefixes = set()
    for ref in refs:
        ref = ref.split("-")[0]  # "Q1-Q6"
        m = _DESIGNATOR.match(ref.upper())
        if m is None:
            return
        prefixes.add(m.group("prefix"))
    if len(prefixes) != 1:
        return
    prefix = prefixes.pop()
    kind = DESIGNATORS.get(prefix)
    if kind is None:
        return
    weight = 0.6 if prefix in _AMBIGUOUS_DESIGNATORS else 1.2
    found.add(kind, "designator", header, text[:24], weight)


def _token_rules(found: _Found, header: str, token: str) -> None:
    upper = _DISTRIBUTOR.sub("", token.upper())
    series = _SERIES_ANY.match(upper)
    if series is not None and series.lastgroup is not None:
        maker, _, kind, _ = SERIES[int(series.lastgroup[1:])]
        found.add(kind, "series", header, f"{token} ({maker})", 3.0)
    if _cell_rules(found, header, token, upper) or _symbol_rules(found, header, token):
        return
    for rx, kind in _SEMI_SERIES:
        if rx.match(upper):
            found.add(kind, "series", header, token, 2.0)
            break
    _footprint_rules(found, header, token)
    _value_rules(found, header, token)
    _mechanical_codes(found, header, token)


def _symbol_rules(found: _Found, header: str, token: str) -> bool:
    m = _SYMBOL.match(token)
    if m is None:
        return False
    for rx, kind in _SYMBOL_NAMES:
        if m.group("lib").lower().startswith("device") and rx.match(m.group("name")):
            found.add(kind, "symbol", header, token, 3.0)
            return True
    for rx, kind in _SYMBOL_LIBS:
        if rx.match(m.group("lib")):
            found.add(kind, "symbol", header, token, 3.0)
            return True
    return False


def _cell_rules(found: _Found, header: str, token: str, upper: str) -> bool:
    m = _CELL_CODE.match(upper)
    if m and len(upper) >= 7:
        chemistry = _CELL_CHEMISTRY.get(m.group("code").upper())
        found.add("battery_cell", "cell code", header, token, 3.0)
        found.sizes.setdefault("battery_cell", m.group("size"))
        if chemistry:
            found.materials.append((f"cell_{chemistry}", header, token))
        return True
    if _CELL_FORMAT.match(upper):
        found.add("battery_cell", "cell format", header, token, 0.8)
        found.sizes.setdefault("battery_cell", upper)
        return True
    if _CELL_MODELS.match(upper):
        found.add("battery_cell", "cell model", header, token, 1.0)
        return True
    return False


def _footprint_rules(found: _Found, header: str, token: str) -> None:
    m = _TANT_CASE.match(token)
    if m:
        found.add("capacitor_tantalum", "footprint", header, token, 2.5)
        found.package = found.package or f"case {m.group('case').upper()}"
        return
    if _kicad_footprint(found, header, token) or _sized_footprint(found, header, token):
        return
    if re.search(r"[_:\d-]", token):
        for rx, kind in _FOOTPRINT_KIND:
            if rx.match(token):
                found.add(
                    kind, "footprint", header, token, _PLACED if header == "footprint" else 2.0
                )
                return
    m = _SEMI_PACKAGE.match(token)
    if m:
        found.package = found.package or m.group("pkg").upper()
        found.add("semiconductor", "package", header, m.group("pkg"), 1.0)


def _kicad_footprint(found: _Found, header: str, token: str) -> bool:
    """KiCad footprint names start with the part class: C_0805_2012Metric, R_0603_1608,
    CP_Elec_8x6.2, L_1210_3225Metric, LED_0603, D_SOD-123, Fuse_1206."""
    m = _KICAD_FOOTPRINT.match(token)
    kind = _PREFIX_KIND.get(m.group("prefix").upper()) if m else None
    if m is None or kind is None:
        return False
    if kind == "capacitor_aluminium" and _MOLDED_CHIP.match(m.group("rest")):
        # KiCad's Capacitor_Tantalum_SMD footprints are polarised moulded chips named by EIA
        # case size (CP_EIA-3216-18_Kemet-A): tantalum (or niobium oxide) capacitors.
        found.add("capacitor_tantalum", "footprint", header, token, 2.5)
        found.package = found.package or m.group("rest")
        return True
    found.add(kind, "footprint", header, token, 2.0)
    size = _CHIP.search(m.group("rest")) or _METRIC.search(m.group("rest"))
    if size and kind != "capacitor_aluminium":
        found.package = found.package or size.group("size")
        found.add(_chip_kind(kind), "package", header, size.group("size"), 1.0)
    return True


def _sized_footprint(found: _Found, header: str, token: str) -> bool:
    """EasyEDA/LCSC (C0402, R0603, LED0603) and hand-kept (SMD-0603, SM0603) chip sizes."""
    m = _EASYEDA.match(token) or _SMD_SIZE.match(token)
    if m is None:
        return False
    size = m.group("size")
    found.package = found.package or size
    prefix = m.groupdict().get("prefix")
    kind = _PREFIX_KIND.get(prefix.upper()) if prefix else None
    if kind:
        found.add(kind, "footprint", header, token, 2.0)
        found.add(_chip_kind(kind), "package", header, size, 1.0)
    else:
        found.add("chip", "package", header, size, 0.5)
    return True


def _chip_kind(kind: str) -> str:
    """A chip-size footprint refines its kind: a non-polarised chip capacitor in an EIA
    0201-2220 footprint is a multilayer ceramic (tantalum and aluminium chips use polarised
    case footprints); a chip resistor in one is a thick-film chip resistor."""
    if kind == "capacitor":
        return "capacitor_ceramic"
    if kind == "resistor":
        return "resistor_chip"
    return kind


def _value_rules(found: _Found, header: str, token: str) -> None:
    if _DIELECTRIC.match(token):
        found.add("capacitor_ceramic", "dielectric", header, token, 2.5)
    elif _CAP_UNIT.match(token) or _CAP_BARE.match(token):
        found.add("capacitor", "value", header, token, 1.0 if _CAP_UNIT.match(token) else 0.6)
    elif _INDUCTANCE.match(token):
        found.add("inductor", "value", header, token, 1.0)
    elif _FREQUENCY.match(token):
        found.add("crystal", "value", header, token, 0.6)
    elif _RESISTANCE.match(token):
        found.add("resistor", "value", header, token, 0.6)
    elif _CHIP.fullmatch(token) or _SMD_SIZE.match(token):
        found.add("chip", "package", header, token, 0.3)
        found.package = found.package or token


def _mechanical_codes(found: _Found, header: str, token: str) -> None:
    if _BEARING_CODE.match(token):
        found.add("bearing", "size code", header, token, 2.5)
        found.sizes.setdefault("bearing", sizes.bearing(token))
    elif _METRIC_FASTENER.match(token):
        found.add("fastener", "size code", header, token, 1.0 if "x" in token.lower() else 0.5)
        # a size with a length ("M3x8") outranks a bare thread size met earlier ("M3 ... x8")
        if "x" in token.lower() or "fastener" not in found.sizes:
            found.sizes["fastener"] = token
    elif _STEPPER_CODE.match(token):
        found.add("stepper_motor", "size code", header, token, 2.5)
        # 17HS4401: the NEMA frame leads the code (SM42HT... gives the flange in mm instead)
        frame = re.match(r"(17|23|14|11)(?=HS)", token, re.IGNORECASE)
        if frame is not None:
            found.sizes.setdefault("stepper_motor", sizes.nema(frame.group(0)))
    elif _RAIL_CODE.match(token):
        found.add("linear_rail", "size code", header, token, 2.0)
        found.sizes.setdefault("linear_rail", token.upper())
    elif _EXTRUSION_CODE.match(token):
        found.add("extrusion", "size code", header, token, 0.5)
        found.sizes.setdefault("extrusion", token)
    elif _OUTRUNNER.match(token):
        found.add("bldc_motor", "size code", header, token, 1.5)
    elif _NDFEB_GRADE.match(token) and header in _PROSE_FIELDS:
        # A magnet grade is a material statement only where people write words ("Magnet N42",
        # a Material cell "N35"); in a part-number cell "N40" is a code like any other.
        found.add("magnet", "grade", header, token, 0.7)
        found.materials.append(("ndfeb", header, token))
    elif sizes.BARE_BEARING.match(token):
        # "Bearing 608": a bare deep-groove number is no evidence of a bearing by itself, but
        # it is the size of a line recognised as one by its words
        found.sizes.setdefault("bearing_number", sizes.bearing(token))


def _dimension_rules(found: _Found, header: str, text: str) -> None:
    nema = _NEMA.search(text)
    if nema:
        found.add("stepper_motor", "size code", header, nema.group(0), 2.0)
        found.sizes.setdefault("stepper_motor", sizes.nema(nema.group(1)))
    if sizes.SOCKET_HEAD.search(text):
        found.socket_head = True
    spaced = sizes.SPACED_FASTENER.search(text)  # "M3 x 8": the length is its own token
    if spaced and "x" not in found.sizes.get("fastener", "x").lower():
        found.sizes["fastener"] = spaced.group(0).replace(" ", "")
    if dimensions := _DIMENSIONS.search(text):
        found.add("dimensions", "size", header, dimensions.group(0), 0.0)


def _fold(text: str) -> str:
    text = text.replace("µ", "u").replace("μ", "u")
    return re.sub(r"[\s_]+", " ", text.casefold()).strip()


PURPOSE_WORDS = (
    r"with|w/|for|incl\.?|including|inkl\.?|para|pour|für|fur|mit|avec|con|to fit|compatible|"
    r"if|when|unless|used|needed"
)
"""Words after which a text names what a part goes with, into or is for, or when it is
needed ("germanium window for thermal sensor", "needed only if your control board has no
drivers"), never the part itself."""
_CLAUSE = re.compile(rf"(?:^|\s)({PURPOSE_WORDS})\s|[,;(+|]|\s[-–—/]\s")
_SPEC_TOKEN = re.compile(r"^[\d.,/x×]+\w*$|^m\d|^\d")


def _word_rules(found: _Found, header: str, text: str, head: bool) -> None:
    folded = _fold(text)
    hits: list[tuple[int, int, str, str]] = []
    for rx, kind in _WORD_RULES:
        for m in rx.finditer(folded):
            hits.append((m.start(), m.end(), kind, m.group(0)))
    # A longer phrase hides the words inside it ("cap head screw": not a capacitor).
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept: list[tuple[int, int, str, str]] = []
    for hit in hits:
        if kept and hit[0] < kept[-1][1]:
            continue
        kept.append(hit)
    clause = _head_clause(folded, kept)
    for start, _, kind, word in kept:
        # words after the head clause ("... with JST connector") say less about the line
        inside = clause is not None and clause[0] <= start < clause[1]
        found.add(kind, "word", header, word, 1.0 if inside else 0.4)
    if head and clause is not None:
        chosen = _head(folded, kept, clause)
        if chosen is not None:
            found.add(chosen[2], "head word", header, chosen[3], 3.0)
    for rx, material in _MATERIAL_RULES:
        said = rx.search(folded)
        if said:
            found.materials.append((material, header, said.group(0)))


def _head_clause(folded: str, hits: Sequence[tuple[int, int, str, str]]) -> tuple[int, int] | None:
    """(start, end) of the first clause holding a kind word: clauses end at "with", "for", a
    comma, a slash or a dash between words. Past "with"/"for" and the like the text names what
    the part goes with or into ("germanium window for thermal sensor"), never the part itself,
    so the search stops there."""
    start = 0
    for m in [*_CLAUSE.finditer(folded), None]:
        end = len(folded) if m is None else m.start()
        if any(start <= h[0] < end for h in hits):
            return start, end
        if m is None or m.group(1) is not None:
            return None
        start = m.end()
    return None


def _head(
    folded: str, hits: Sequence[tuple[int, int, str, str]], clause: tuple[int, int]
) -> tuple[int, int, str, str] | None:
    """The head noun of the clause: its last kind word before the first spec token that
    follows a kind word ("magnet 20 x 10", "cap head screw m3", "stepper motor cable 1m")."""
    start, end = clause
    inside = [h for h in hits if start <= h[0] < end]
    if not inside:
        return None
    after = folded[inside[0][1] : end]
    for m in re.finditer(r"\S+", after):
        if _SPEC_TOKEN.match(m.group(0)):
            end = inside[0][1] + m.start()
            break
    inside = [h for h in inside if h[0] < end] or inside[:1]
    return inside[-1]


def _resolve(found: _Found) -> Recognition:
    scores: dict[str, float] = {}
    for e in found.evidence:
        if e.kind in ("dimensions",):
            continue
        scores[_family(e.kind)] = scores.get(_family(e.kind), 0.0) + e.weight
    _packaged(found, scores)
    _merge_generic(scores)
    _assemblies(found, scores)
    if not scores:
        return Recognition(None, evidence=tuple(found.evidence))
    family = max(scores, key=lambda k: (scores[k], k))
    own = [e for e in found.evidence if _family(e.kind) == family]
    if all(e.rule == "word" and e.weight < 1.0 for e in own):
        # only words past "with"/"for" ("window for thermal sensor"): what the part goes with
        return Recognition(None, evidence=tuple(found.evidence))
    total = sum(scores.values())
    kind = _specific(found.evidence, family)
    material = _material(found, kind)
    if kind == "capacitor" and (material == "ceramic" or _chip_in_prose(found)):
        kind = "capacitor_ceramic"
    elif kind == "resistor" and found.package is not None and found.package[:1].isdigit():
        kind = "resistor_chip"
    if kind == "capacitor_ceramic":
        material = dielectric_class(found.evidence) or material
    confidence = round(min(0.95, 0.5 + 0.1 * scores[family]) * scores[family] / total, 2)
    return Recognition(kind, material, _size(found, kind), confidence, tuple(found.evidence))


def _size(found: _Found, kind: str) -> str | None:
    """The package of an electronic part, or the size key of a mechanical part or cell."""
    key = found.sizes.get(_family(kind)) or found.sizes.get(kind)
    if key is None and kind == "bearing":
        key = found.sizes.get("bearing_number")
    if key is None:
        return found.package
    if _family(kind) == "fastener":
        return sizes.fastener(key, found.socket_head)
    return key


_ASSEMBLY_WORDS = re.compile(
    r"^(modules?|boards?|breakout|dev ?boards?|shields?|pcba?s?|"
    r"raspberry ?pi|arduino|motherboards?|mainboards?)$"
)
_ASSEMBLED = frozenset(
    {"ic", "sensor", "transistor", "diode", "power_supply", "instrument", "crystal", "led"}
)


def _assemblies(found: _Found, scores: dict[str, float]) -> None:
    """An IC or sensor sold as a module ("magnetic encoder module", "Raspberry Pi Pico") is a
    populated board: the module words anywhere in the line make it one."""
    if not any(e.kind == "board" and _ASSEMBLY_WORDS.match(e.token) for e in found.evidence):
        return
    best = max(scores, key=lambda k: scores[k])
    if best in _ASSEMBLED:
        scores["board"] = scores.get("board", 0.0) + scores[best]


def _packaged(found: _Found, scores: dict[str, float]) -> None:
    """A part given a semiconductor package (SOIC, HTSSOP, QFN, TO-220...) is a packaged
    device, not a board: "MOTOR DRIVER, 3PH, 56HTSSOP" is a driver IC. A board or module is
    never specified by an IC package, so unless a module word says it is one (a breakout of
    that IC), the board evidence goes to the IC."""
    package = next((e for e in found.evidence if e.kind == "semiconductor"), None)
    if "board" not in scores or package is None:
        return
    if any(e.kind == "board" and _ASSEMBLY_WORDS.match(e.token) for e in found.evidence):
        return
    scores["ic"] = scores.get("ic", 0.0) + scores.pop("board")
    found.add("ic", "package", package.cell, package.token, 0.0)


def _chip_in_prose(found: _Found) -> bool:
    """An EIA chip size named in a capacitor's text ("10uF 0603 SMD"): chip capacitors in
    non-polarised 0201-2220 sizes are multilayer ceramics."""
    return any(e.kind == "chip" for e in found.evidence)


def _merge_generic(scores: dict[str, float]) -> None:
    """Evidence that only says "a semiconductor package" or "a chip footprint" supports
    whichever component family it fits."""
    semi = scores.pop("semiconductor", 0.0)
    chip = scores.pop("chip", 0.0)
    scores.pop("hardware", None)
    for family in ("ic", "transistor", "diode", "led"):
        if family in scores:
            scores[family] += semi
            semi = 0.0
            break
    if semi:
        scores["ic"] = scores.get("ic", 0.0) + semi * 0.5
    for family in ("capacitor", "resistor", "inductor", "led", "diode"):
        if family in scores:
            scores[family] += chip
            break


def _specific(evidence: Sequence[Evidence], family: str) -> str:
    weights: dict[str, float] = {}
    for e in evidence:
        if _family(e.kind) == family and e.kind != family:
            weights[e.kind] = weights.get(e.kind, 0.0) + e.weight
    if not weights:
        return family
    return max(weights, key=lambda k: (weights[k], k))


def _material(found: _Found, kind: str) -> str | None:
    if kind == "battery_cell":
        chemistry = [m for m, _, _ in found.materials if m.startswith("cell_")]
        return chemistry[0] if chemistry else None
    named = [m for m, _, _ in found.materials if not m.startswith("cell_")]
    if kind == "magnet":
        for m in ("ferrite", "smco", "alnico", "ndfeb"):
            if m in named:
                return m
        return None
    named = [m for m in named if m not in ("ndfeb", "ferrite", "smco", "alnico")]
    return named[0] if named else None


# EIA RS-198 class II/III codes (X5R, X7R, X7S, X6S, X8R, Y5V, Z5U...) name a BaTiO3-based
# ferroelectric dielectric; class I (C0G/NP0, U2J) a paraelectric one (CaZrO3 or (Ba,RE)TiO3).
_CLASS_II = re.compile(r"(X[5-8][RSTPUV]|Y5V|Z5U|X7T)", re.IGNORECASE)
_CLASS_I = re.compile(r"(C0G|COG|NP0|NPO|U2J)", re.IGNORECASE)
# Makers' temperature-characteristic codes inside the MPN: Murata GRM/GCM (size digits, then
# R6 = X5R, R7 = X7R, C7 = X7S, D7 = X7T, C8 = X6S, F5 = Y5V; 5C = C0G, 7U = U2J); Samsung
# CL (size, then A = X5R, B = X7R, F = Y5V, X = X6S, Y = X7S, Z = X7T; C = C0G).
_MURATA_TC = re.compile(r"^G(RM|CM|CJ|RJ|JM|QM|RT)\d{2}[0-9A-Z](?P<tc>[0-9A-Z]{2})", re.IGNORECASE)
_MURATA_CLASS = {
    "R6": "class_ii",
    "R7": "class_ii",
    "C7": "class_ii",
    "D7": "class_ii",
    "C8": "class_ii",
    "F5": "class_ii",
    "5C": "class_i",
    "7U": "class_i",
}
_SAMSUNG_TC = re.compile(r"^CL(03|05|10|21|31|32|43|55)(?P<tc>[A-Z])", re.IGNORECASE)
_SAMSUNG_CLASS = {
    "A": "class_ii",
    "B": "class_ii",
    "F": "class_ii",
    "X": "class_ii",
    "Y": "class_ii",
    "Z": "class_ii",
    "C": "class_i",
}
_MICROFARADS = re.compile(r"^(?P<n>\d+(?:[.,]\d+)?)\s?(?P<unit>u|µ|μ|n|p|m)f?$", re.IGNORECASE)


def dielectric_class(evidence: Sequence[Evidence]) -> str | None:
    """The dielectric class of a ceramic capacitor ("class_ii": BaTiO3 X5R/X7R/Y5V...,
    "class_i": C0G/NP0), from a dielectric code, a maker's code in its MPN, or a capacitance
    of 1 uF or more (no class I MLCC reaches 1 uF: its permittivity is ~100x lower)."""
    for e in evidence:
        token = e.token.split(" (")[0]
        if e.rule == "dielectric":
            return "class_i" if _CLASS_I.fullmatch(token) else "class_ii"
        if e.rule == "series":
            if (m := _MURATA_TC.match(token)) and m.group("tc").upper() in _MURATA_CLASS:
                return _MURATA_CLASS[m.group("tc").upper()]
            if (m := _SAMSUNG_TC.match(token)) and m.group("tc").upper() in _SAMSUNG_CLASS:
                return _SAMSUNG_CLASS[m.group("tc").upper()]
            if _CLASS_I.search(token):
                return "class_i"
            if _CLASS_II.search(token[2:]):  # past a maker prefix ("CC", "C1608")
                return "class_ii"
    for e in evidence:
        if e.rule == "value" and e.kind.startswith("capacitor"):
            m = _MICROFARADS.match(e.token.strip())
            if m and m.group("unit").lower() in ("u", "µ", "μ") and _float(m.group("n")) >= 1:
                return "class_ii"
    return None


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def cells_of(row: Mapping[str, object]) -> Cells:
    """(header, text) pairs of a mapping of cells, blank and non-text cells left out."""
    return tuple((str(h), str(v)) for h, v in row.items() if isinstance(v, str) and v.strip())
