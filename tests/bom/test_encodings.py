"""Encodings decided line by line where they must be: a UTF-8 file keeps its UTF-8 lines when
a few lines are in cp1252, Shift-JIS and GBK files are detected, and --encoding overrides."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.bom.read import read_bom
from exposure_audit.bom.sniff import detect_encoding
from exposure_audit.cli.app import app

HEADER = "Part Number,Description,Material,Quantity,Country of Origin\n"


def _utf8_with_a_cp1252_line(bad_at: int, lines: int) -> bytes:
    out = [HEADER.encode()]
    for i in range(lines):
        if i == bad_at:
            out.append("P-X,Café magnet,NdFeB,1,Germany\n".encode("cp1252"))
        else:
            out.append(f"P-{i},Rotor magnet,NdFeB,2,Türkiye\n".encode())
    return b"".join(out)


def test_a_cp1252_line_near_the_top_leaves_every_utf8_line_intact(tmp_path, issues, load_bom):
    path = tmp_path / "bom.csv"
    path.write_bytes(_utf8_with_a_cp1252_line(bad_at=98, lines=3000))
    bom = load_bom(path)
    countries = bom.frame["supplier_country"].astype(object).tolist()
    assert countries.count("TUR") == 2999  # not 'TÃ¼rkiye' on every line
    assert [r for r, _, _ in issues(bom, "encoding-fallback")] == [100]
    assert "Café magnet" in bom.frame["description"].astype(str).tolist()


JAPANESE = "品番,品名,材質,数量\n" + "".join(f"A-{i},ネオジム磁石,ネオジム,2\n" for i in range(20))
CHINESE = "料号,名称,材料,数量\n" + "".join(f"A-{i},钕铁硼磁铁,钕铁硼,2\n" for i in range(20))
TAIWANESE = "Part Number,Description,Material,Qty\n" + "".join(
    f"A-{i},釹鐵硼磁鐵,釹鐵硼,2\n" for i in range(20)
)


@pytest.mark.parametrize(
    ("text", "encoding", "description"),
    [
        (JAPANESE, "shift_jis", "ネオジム磁石"),
        (CHINESE, "gbk", "钕铁硼磁铁"),
        (TAIWANESE, "big5", "釹鐵硼磁鐵"),
    ],
    ids=["shift-jis", "gbk", "big5"],
)
def test_cjk_files_are_detected(tmp_path, text, encoding, description):
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode(encoding))
    raw = read_bom(path)
    assert raw.frame.iloc[0, 1] == description
    assert not raw.issues.count("warning")


def test_western_windows_files_stay_cp1252():
    sample = "Bauteil;Menge;Land\nSchraube;2;Österreich\nMutter;3;Türkei\n".encode("cp1252")
    assert detect_encoding(sample) == "cp1252"


def test_encoding_overrides_the_detection(tmp_path):
    polish = "Part Number,Description,Quantity\nP-1,Łożysko śruby,2\n".encode("cp1250")
    path = tmp_path / "bom.csv"
    path.write_bytes(polish)
    assert read_bom(path).frame["Description"].tolist() != ["Łożysko śruby"]  # guessed cp1252
    assert read_bom(path, encoding="cp1250").frame["Description"].tolist() == ["Łożysko śruby"]
    done = CliRunner().invoke(app, ["validate", str(path), "--encoding", "cp1250", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["path"] == str(path)


@pytest.mark.parametrize("name", ["nope", "base64"])
def test_an_unknown_encoding_is_a_usage_error(tmp_path, name):
    path = tmp_path / "bom.csv"
    path.write_text("Part Number,Description,Quantity\nP-1,x,2\n")
    done = CliRunner().invoke(app, ["audit", str(path), "--encoding", name])
    assert done.exit_code == 2
    assert f"unknown text encoding '{name}'" in done.output


@pytest.mark.parametrize(
    "text",
    ["P-1,¡Ojo!,1\n", "P-1,a\xa0@b,2\n", "Teil,Größe,Menge\nA,ß,1\n", "X,£5 ¥7 ©,1\n"],
    ids=["inverted-exclamation", "nbsp-at", "german", "symbols"],
)
def test_a_few_western_bytes_are_never_read_as_cjk(text):
    """Detectors guess Shift-JIS or GBK for a handful of cp1252 bytes; a CJK encoding needs
    CJK text behind it."""
    assert detect_encoding(text.encode("cp1252")) == "cp1252"
