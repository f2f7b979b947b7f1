"""Write the example BOMs in examples/ (xlsx and csv) as a PLM or ERP export would look.

The parts, masses and prices are illustrative, typical of such products; they are inputs to
audit, not reference data. Run from the repository root: `python examples/make_examples.py`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent

BATTERY = {
    "title": "VoltCell 48V 5 kWh storage pack — Bill of Materials, Rev C",
    "headers": [
        "Item No.",
        "Mfr Part Number",
        "Item Description",
        "Material / Grade",
        "Qty.",
        "UoM",
        "Unit Wt (g)",
        "Supplier",
        "Country of Origin",
        "Unit Price (USD)",
    ],
    "rows": [
        [
            10,
            "INR21700-50E",
            "21700 Li-ion cell, 5000 mAh",
            "NMC811 cell",
            288,
            "pcs",
            68.5,
            "Samsung SDI",
            "Korea, Republic of",
            3.10,
        ],
        [
            20,
            "BB-CU-2.0",
            "Cell busbar, 2 mm",
            "C11000 copper busbar",
            96,
            "pcs",
            11.8,
            "Ningbo Jintian",
            "PRC",
            0.42,
        ],
        [
            30,
            "BMS-16S-100A",
            "Battery management system board 16S",
            "PCBA",
            1,
            "pcs",
            142,
            "Shenzhen Daly",
            "China",
            38.00,
        ],
        [
            40,
            "ENC-6061-48V",
            "Pack enclosure, machined",
            "6061-T6",
            1,
            "pcs",
            4850,
            "Proto Labs",
            "USA",
            210.00,
        ],
        [
            50,
            "CBL-6AWG-R",
            "Main power cable 6 AWG, red",
            "copper cable",
            2,
            "pcs",
            310,
            "Southwire",
            "United States",
            9.80,
        ],
        [
            60,
            "SLD-SAC305-500",
            "Solder wire for tab welding rework",
            "SAC305",
            1,
            "pcs",
            25,
            "Senju Metal",
            "Japan",
            14.50,
        ],
        [
            70,
            "BLT-M5-16-A2",
            "Hex bolt M5x16 for lid",
            "A2 stainless 304",
            24,
            "pcs",
            3.4,
            "Würth",
            "Germany",
            0.09,
        ],
        [
            80,
            "TP-1.5-SIL",
            "Thermal pad 1.5 mm, silicone",
            "",
            4,
            "pcs",
            35,
            "Laird",
            "Mexico",
            6.20,
        ],
        [
            90,
            "HLD-21700-PC",
            "Cell holder, flame retardant",
            "FR PP, UL94 V0",
            12,
            "pcs",
            48,
            "Keystone",
            "Viet Nam",
            1.15,
        ],
        [100, "NTC-10K-B3950", "Thermistor NTC 10k", "", 8, "pcs", 0.4, "TDK", "Japan", 0.35],
        [
            110,
            "FUSE-125A-ANL",
            "Main fuse 125 A",
            "",
            1,
            "pcs",
            22,
            "Littelfuse",
            "Philippines",
            4.60,
        ],
        [
            120,
            "GRS-LI-EP2",
            "Assembly grease for terminals",
            "lithium grease",
            1,
            "pcs",
            15,
            "Klüber",
            "Germany",
            3.20,
        ],
    ],
}

MOTOR = {
    "title": "PMSM-150 traction motor, 150 kW — engineering BOM (PLM export)",
    "headers": [
        "P/N",
        "Part Name",
        "Material",
        "Quantity",
        "Mass [kg]",
        "Vendor",
        "COO",
        "Smelter Country",
        "Unit Cost",
        "Extended Cost",
    ],
    "rows": [
        [
            "M-1001",
            "Rotor magnet segment",
            "Sintered NdFeB N42SH",
            48,
            0.028,
            "Ningbo Yunsheng",
            "CN",
            "",
            6.20,
            297.60,
        ],
        [
            "M-1002",
            "Stator winding, hairpin",
            "Enamelled copper wire",
            1,
            4.2,
            "Essex Furukawa",
            "Mexico",
            "",
            61.00,
            61.00,
        ],
        [
            "M-1003",
            "Stator lamination stack",
            "Electrical steel M270-35A",
            1,
            18.5,
            "voestalpine",
            "Austria",
            "",
            74.00,
            74.00,
        ],
        ["M-1004", "Rotor shaft", "42CrMo4", 1, 3.1, "Thyssenkrupp", "Germany", "", 38.00, 38.00],
        [
            "M-1005",
            "Motor housing, machined",
            "AlZn5.5MgCu 7075-T6",
            1,
            9.8,
            "Bharat Forge",
            "India",
            "",
            145.00,
            145.00,
        ],
        [
            "M-1006",
            "Position sensor magnet",
            "SmCo 2:17",
            1,
            0.004,
            "Arnold Magnetic",
            "United States",
            "",
            7.50,
            7.50,
        ],
        [
            "M-1007",
            "Power terminal",
            "Beryllium copper C17200",
            3,
            0.012,
            "Materion",
            "USA",
            "",
            2.10,
            6.30,
        ],
        [
            "M-1008",
            "Inverter power module die",
            "SiC MOSFET die",
            6,
            0.0004,
            "Wolfspeed",
            "USA",
            "",
            22.00,
            132.00,
        ],
        ["M-1009", "Bearing 6208-2RS", "", 2, 0.37, "SKF", "Sweden", "", 11.40, 22.80],
        ["M-1010", "Slot liner", "PTFE film", 1, 0.08, "Saint-Gobain", "France", "", 6.00, 6.00],
        [
            "M-1011",
            "Balance weight",
            "Tungsten heavy alloy",
            2,
            0.045,
            "Plansee",
            "Austria",
            "",
            9.00,
            18.00,
        ],
        [
            "M-1012",
            "Rotor magnet, spare grade",
            "NdFeB N52",
            0,
            0.028,
            "Ningbo Yunsheng",
            "CN",
            "",
            5.10,
            0.00,
        ],
    ],
}

BOARD = {
    "title": "Edge gateway mainboard EGW-2 — PCBA BOM",
    "headers": [
        "Part Number",
        "Description",
        "Material",
        "Qty",
        "Weight (g)",
        "Manufacturer",
        "Country of Origin",
        "Unit Price",
        "Currency",
    ],
    "rows": [
        ["EGW2-PCB", "PCBA mainboard, 8-layer", "PCBA", 1, 96, "Foxconn", "Taiwan", 41.00, "USD"],
        [
            "GS66508T",
            "GaN FET 650 V, power stage",
            "GaN",
            2,
            "",
            "Infineon (GaN Systems)",
            "Canada",
            8.90,
            "USD",
        ],
        ["QPA9510", "RF amplifier, GaAs pHEMT", "GaAs", 1, "", "Qorvo", "Philippines", 4.10, "USD"],
        [
            "GE-WIN-10",
            "Germanium IR window 10 mm for thermal sensor",
            "germanium window",
            1,
            1.8,
            "Umicore",
            "Belgium",
            32.00,
            "USD",
        ],
        ["T495D476K", "Tantalum capacitor 47 uF 16 V", "", 8, 0.35, "KEMET", "Mexico", 0.62, "USD"],
        ["GRM155R71", "MLCC 0402 100 nF X7R", "", 180, 0.001, "Murata", "Japan", 0.004, "USD"],
        ["LW-2835-W", "SMD LED white 2835", "", 12, 0.02, "Everlight", "China", 0.03, "USD"],
        ["SP-SAC305", "Solder paste", "SAC305", 1, 14, "Indium Corporation", "USA", 2.40, "USD"],
        [
            "SB-SN100C",
            "Wave solder bar",
            "SN100C",
            1,
            22,
            "Nihon Superior",
            "Malaysia",
            1.90,
            "USD",
        ],
        [
            "LCD-ITO-3.5",
            "3.5in display cover, ITO coated glass",
            "ITO glass",
            1,
            38,
            "BOE",
            "PRC",
            6.70,
            "USD",
        ],
        [
            "HS-6061-40",
            "Heat sink 40 x 40 mm",
            "Al 6061",
            2,
            18,
            "Wakefield-Vette",
            "USA",
            1.30,
            "USD",
        ],
        ["CON-RJ45", "RJ45 jack with magnetics", "", 1, 6.5, "Amphenol", "China", 1.10, "USD"],
        ["ENC-PC-ABS", "Enclosure, PC/ABS", "", 1, 210, "Jabil", "Mexico", 3.80, "USD"],
    ],
}


def write_xlsx(spec: dict, path: Path, cover: bool) -> None:
    """A workbook as an ERP export: optional cover sheet, a title row, the header, a total."""
    workbook = Workbook()
    if cover:
        sheet = workbook.active
        sheet.title = "Cover"
        sheet.append(["Document", spec["title"]])
        sheet.append(["Prepared by", "Engineering"])
        sheet.append(["Status", "Released"])
        bom = workbook.create_sheet("BOM")
    else:
        bom = workbook.active
        bom.title = "BOM"
    bom.append([spec["title"]])
    bom.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(spec["headers"]))
    bom["A1"].font = Font(bold=True, size=13)
    bom.append([])
    bom.append(spec["headers"])
    for cell in bom[3]:
        cell.font = Font(bold=True)
    for row in spec["rows"]:
        bom.append(row)
    bom.append([])
    bom.append(["Total"])
    workbook.save(path)


def write_csv(spec: dict, path: Path, delimiter: str, decimal_comma: bool) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(spec["headers"])
        for row in spec["rows"]:
            cells = [
                (f"{v}".replace(".", ",") if decimal_comma and isinstance(v, float) else v)
                for v in row
            ]
            writer.writerow(cells)


def main() -> None:
    write_xlsx(BATTERY, HERE / "ev_battery_pack.xlsx", cover=True)
    write_csv(BATTERY, HERE / "ev_battery_pack.csv", ",", False)
    write_xlsx(MOTOR, HERE / "pm_motor.xlsx", cover=False)
    write_csv(MOTOR, HERE / "pm_motor.csv", ";", True)
    write_xlsx(BOARD, HERE / "electronics_board.xlsx", cover=True)
    write_csv(BOARD, HERE / "electronics_board.csv", ",", False)


if __name__ == "__main__":
    main()
