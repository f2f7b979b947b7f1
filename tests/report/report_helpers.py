"""Shared inputs of the formatter tests (a module, not conftest, so tests can import it)."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
HEADER = (
    "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price,"
    "Supplier,Buyer Remark"
)
HOSTILE_ROWS = (
    "M-100,Rotor magnet,N42SH,10,5,Japan,$2.00,Shin-Etsu,dual source",
    "Q-200,<script>alert(1)</script>,GaN,4,,China,$3.00,Innoscience,@SUM(1)",
    'W-300,"=HYPERLINK(""http://evil.example/x"",""click"")",magnet wire,3,20,Mexico,$1.00,'
    "+Wire Co,-2+3",
    "S-400,Solder | paste @team [link](http://evil.example),SAC305,1,2,Malaysia,$0.50,Alpha,",
    "X-500,Widget,,1,,USA,$1.00,Acme,",
    "H-600,Housing,ABS housing,1,50,Mexico,$1.00,Plastics Inc,",
)
