"""Generate realistic large BOMs for the benchmarks (deterministic; cached by parameters).

The lines mix the wording of the example archetypes (examples/make_examples.py) and the aliases
of data/reference/materials.yaml, with the mess real exports carry: case and spacing variants,
trailing notes, countries in several spellings, masses with units in the cell, costs with
currency symbols, a title row above the header, and a few blank and total rows.

    python benchmarks/generate.py                 # 100k .xlsx and 1M .csv into benchmarks/data/
    python benchmarks/generate.py --lines 200 --format csv

Files are named by a hash of the generator parameters, so a change to the generator or the
parameters writes a new file and an unchanged one is reused.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
GENERATOR_VERSION = 1
SEED = 20260101

HEADERS = [
    "Item No.",
    "Part Number",
    "Description",
    "Material",
    "Qty",
    "UoM",
    "Unit Wt",
    "Supplier",
    "Country of Origin",
    "Unit Price",
]

# (description, material) pairs in the wording of the example BOMs.
EXAMPLE_PARTS = [
    ("21700 Li-ion cell, 5000 mAh", "NMC811 cell"),
    ("Cell busbar, 2 mm", "C11000 copper busbar"),
    ("Battery management system board 16S", "PCBA"),
    ("Pack enclosure, machined", "6061-T6"),
    ("Main power cable 6 AWG, red", "copper cable"),
    ("Solder wire for tab welding rework", "SAC305"),
    ("Hex bolt M5x16 for lid", "A2 stainless 304"),
    ("Thermal pad 1.5 mm, silicone", ""),
    ("Cell holder, flame retardant", "FR PP, UL94 V0"),
    ("Thermistor NTC 10k", ""),
    ("Main fuse 125 A", ""),
    ("Assembly grease for terminals", "lithium grease"),
    ("Rotor magnet segment", "Sintered NdFeB N42SH"),
    ("Stator winding, hairpin", "Enamelled copper wire"),
    ("Stator lamination stack", "Electrical steel M270-35A"),
    ("Rotor shaft", "42CrMo4"),
    ("Motor housing, machined", "AlZn5.5MgCu 7075-T6"),
    ("Position sensor magnet", "SmCo 2:17"),
    ("Power terminal", "Beryllium copper C17200"),
    ("Inverter power module die", "SiC MOSFET die"),
    ("Bearing 6208-2RS", ""),
    ("Slot liner", "PTFE film"),
    ("Balance weight", "Tungsten heavy alloy"),
    ("PCBA mainboard, 8-layer", "PCBA"),
    ("GaN FET 650 V, power stage", "GaN"),
    ("RF amplifier, GaAs pHEMT", "GaAs"),
    ("Germanium IR window 10 mm for thermal sensor", "germanium window"),
    ("Tantalum capacitor 47 uF 16 V", ""),
    ("MLCC 0402 100 nF X7R", ""),
    ("SMD LED white 2835", ""),
    ("Solder paste", "SAC305"),
    ("Wave solder bar", "SN100C"),
    ("3.5in display cover, ITO coated glass", "ITO glass"),
    ("Heat sink 40 x 40 mm", "Al 6061"),
    ("RJ45 jack with magnetics", ""),
    ("Enclosure, PC/ABS", ""),
]
NOTES = ["", "", "", " (rev B)", " - RoHS", ", lead-free", " (alt. source)", " [obsolete]"]
COUNTRIES = [
    "China",
    "CN",
    "PRC",
    "P.R. China",
    "CHN",
    "USA",
    "United States",
    "U.S.A.",
    "US",
    "Germany",
    "DE",
    "Japan",
    "JP",
    "Korea, Republic of",
    "South Korea",
    "Taiwan",
    "Mexico",
    "MX",
    "Viet Nam",
    "Vietnam",
    "Malaysia",
    "India",
    "Canada",
    "Belgium",
    "Austria",
    "Sweden",
    "France",
    "Philippines",
    "",
]
SUPPLIERS = [
    "Samsung SDI",
    "Ningbo Jintian",
    "Shenzhen Daly",
    "Proto Labs",
    "Southwire",
    "Senju Metal",
    "Würth",
    "Laird",
    "Keystone",
    "TDK",
    "Littelfuse",
    "Klüber",
    "Ningbo Yunsheng",
    "Essex Furukawa",
    "voestalpine",
    "Thyssenkrupp",
    "Materion",
    "Wolfspeed",
    "SKF",
    "Plansee",
    "Foxconn",
    "Qorvo",
    "Umicore",
    "KEMET",
    "Murata",
    "Everlight",
    "Indium Corporation",
    "BOE",
    "Amphenol",
    "Jabil",
    "",
]
UOMS = ["pcs", "pcs", "pcs", "ea", "EA", "", "kg", "g"]


def _aliases() -> list[str]:
    """Material aliases from the reference table (a light parse: no YAML import needed)."""
    path = ROOT / "data" / "reference" / "materials.yaml"
    out: list[str] = []
    in_aliases = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("  aliases:"):
            in_aliases = True
            continue
        if in_aliases and line.startswith("  - "):
            out.append(line[4:].strip().strip("'\""))
            continue
        in_aliases = False
    return sorted(set(out))


def _variant(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.10:
        text = text.upper()
    elif roll < 0.18:
        text = text.lower()
    elif roll < 0.24:
        text = f"  {text} "
    elif roll < 0.28:
        text = text.replace(" ", "  ")
    return text + rng.choice(NOTES)


def _vocabulary(rng: random.Random, distinct: int) -> list[tuple[str, str]]:
    """`distinct` (description, material) pairs: examples, aliases and their messy variants."""
    aliases = _aliases()
    base = (
        list(EXAMPLE_PARTS)
        + [(f"Component, {a}", a) for a in aliases]
        + [(a, "") for a in aliases]
        + [(f"Unknown widget type {i}", "") for i in range(20)]
    )
    vocab = list(dict.fromkeys(base))
    while len(vocab) < distinct:
        desc, mat = rng.choice(base)
        vocab.append((_variant(rng, desc), _variant(rng, mat) if mat else ""))
        vocab = list(dict.fromkeys(vocab))
    return vocab[:distinct]


def _mass(rng: random.Random) -> object:
    grams = round(rng.lognormvariate(1.5, 2.0), 3)
    roll = rng.random()
    if roll < 0.15:
        return ""  # no mass: the reference's typical mass is used
    if roll < 0.55:
        return f"{grams:g} g"
    if roll < 0.70:
        return f"{grams / 1000:g} kg"
    if roll < 0.75:
        return f"{grams * 1000:g} mg"
    return grams  # a bare number (read as the header's unit, or kg)


def _price(rng: random.Random) -> object:
    value = round(rng.lognormvariate(0.5, 1.8), 2)
    roll = rng.random()
    if roll < 0.3:
        return f"${value:,.2f}"
    if roll < 0.4:
        return f"USD {value:.2f}"
    if roll < 0.45:
        return ""
    return value


def rows(lines: int, seed: int = SEED, distinct: int = 3000) -> list[list[object]]:
    """The BOM body: `lines` part lines plus a few blank and subtotal rows.

    As in a real BOM, a part keeps its unit mass and price wherever it appears (written in one
    of a few spellings: "12 g", "0.012 kg", a bare number); part numbers are unique per line.
    """
    rng = random.Random(seed)
    vocab = _vocabulary(rng, distinct)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(vocab))]  # a few parts dominate
    masses = [[_mass(rng) for _ in range(3)] for _ in vocab]
    prices = [[_price(rng) for _ in range(2)] for _ in vocab]
    picks = rng.choices(range(len(vocab)), weights=weights, k=lines)
    out: list[list[object]] = []
    for i, pick in enumerate(picks):
        desc, mat = vocab[pick]
        qty: object = rng.choice([1, 1, 1, 2, 4, 8, 12, 24, 48, 96, 180, 288])
        if rng.random() < 0.05:
            qty = f"{qty} pcs"
        out.append(
            [
                (i + 1) * 10,
                f"P{pick:05d}-{i:07d}",
                desc,
                mat,
                qty,
                rng.choice(UOMS) if isinstance(qty, int) and qty < 20 else "pcs",
                rng.choice(masses[pick]),
                rng.choice(SUPPLIERS),
                rng.choice(COUNTRIES),
                rng.choice(prices[pick]),
            ]
        )
        if rng.random() < 0.0005:
            out.append([""] * len(HEADERS))
        if rng.random() < 0.0002:
            out.append(["", "", "Subtotal", "", "", "", "", "", "", ""])
    return out


def _params(lines: int, fmt: str, seed: int) -> dict[str, object]:
    return {
        "version": GENERATOR_VERSION,
        "lines": lines,
        "format": fmt,
        "seed": seed,
        "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12],
    }


def path_for(lines: int, fmt: str, seed: int = SEED, directory: Path = DATA) -> Path:
    digest = hashlib.sha256(json.dumps(_params(lines, fmt, seed), sort_keys=True).encode())
    return directory / f"bom_{lines}_{digest.hexdigest()[:10]}.{fmt}"


def generate(lines: int, fmt: str, seed: int = SEED, directory: Path = DATA) -> Path:
    """Write (or reuse) a BOM with `lines` part lines as .csv or .xlsx; returns its path."""
    path = path_for(lines, fmt, seed, directory)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    body = rows(lines, seed)
    title = "Benchmark BOM — generated, Rev A"
    tmp = path.with_suffix(path.suffix + ".tmp")
    if fmt == "csv":
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([title])
            writer.writerow(HEADERS)
            writer.writerows(body)
            writer.writerow(["", "", "Total", "", "", "", "", "", "", ""])
    elif fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("BOM")
        sheet.append([title])
        sheet.append([])
        sheet.append(HEADERS)
        for row in body:
            sheet.append(row)
        sheet.append([])
        sheet.append(["", "", "Total"])
        workbook.save(tmp)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=None)
    parser.add_argument("--format", choices=["csv", "xlsx"], default=None)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    jobs = (
        [(args.lines or 100_000, args.format)]
        if args.format
        else [(args.lines or 100_000, "xlsx"), (args.lines or 1_000_000, "csv")]
    )
    for lines, fmt in jobs:
        print(generate(lines, fmt, args.seed, args.dir))


if __name__ == "__main__":
    main()
