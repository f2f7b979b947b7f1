"""Several BOMs at once: the portfolio summary, its JSON, exit codes and input order."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.api import Options, audit_many, expand_paths
from exposure_audit.cli.app import audit_app

from support import TOY_REFERENCE, write_csv

runner = CliRunner()
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"
TOY = Options(reference_dirs=[TOY_REFERENCE], include_bundled=False)


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def boms(tmp_path):
    folder = tmp_path / "boms"
    folder.mkdir()
    a = write_csv(
        folder / "a.csv",
        HEADER,
        "P1,Rotor magnet,N42SH,10,5,Japan,$2.00",
        "P4,Housing,ABS housing,1,50,Mexico,$1",
    )
    b = write_csv(folder / "b.csv", HEADER, "P1,Rotor magnet,N42SH,10,5,China,$4.00")
    return folder, a, b


def test_audit_many_keeps_input_order_and_combines_by_spend(boms):
    folder, a, b = boms
    result = audit_many([b, a], TOY, workers=1)
    assert [r.file for r in result.rows] == [str(b), str(a)]
    assert result.weighting == "spend"
    spends = [r.spend for r in result.rows]
    expected = sum(s * r.exposure for s, r in zip(spends, result.rows, strict=True)) / sum(spends)
    assert result.exposure == pytest.approx(expected)
    parallel = audit_many([b, a], TOY, workers=2)
    assert [r.score for r in parallel.rows] == [r.score for r in result.rows]


def test_a_folder_gives_its_boms_sorted(boms):
    folder, a, b = boms
    (folder / "notes.md").write_text("not a BOM")
    assert expand_paths([folder]) == [a, b]


def test_cli_several_boms_json_and_exit_codes(boms, tmp_path):
    folder, a, b = boms
    result = runner.invoke(audit_app, [str(a), str(b), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 2 and len(data["reports"]) == 2
    assert [r["file"] for r in data["portfolio"]["rows"]] == [str(a), str(b)]
    failing = runner.invoke(audit_app, [str(folder), "--fail-on", "info", "--quiet"])
    assert failing.exit_code == 1
    missing = runner.invoke(audit_app, [str(a), str(tmp_path / "nope.csv"), "--quiet"])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    out = tmp_path / "portfolio.md"
    written = runner.invoke(audit_app, [str(a), str(b), "-o", str(out), "--quiet"])
    assert written.exit_code == 0 and "| file |" in out.read_text()


# --------------------------------------------------------------------------- streamed outputs


def _run(*args):
    return runner.invoke(audit_app, [*map(str, args), "--quiet"])


def test_json_document_is_json_dumps_with_reports_then_portfolio(boms, tmp_path):
    folder, a, b = boms
    out = tmp_path / "p.json"
    result = _run(a, b, "--format", "json", "--workers", "1", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert result.stdout == text
    data = json.loads(text)
    assert list(data) == ["schema_version", "reports", "portfolio"]
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert [r["input"]["path"] for r in data["reports"]] == [str(a), str(b)]
    rows = data["portfolio"]["rows"]
    assert [r["sha256"] for r in rows] == [r["input"]["sha256"] for r in data["reports"]]


def test_jsonl_and_parquet_one_record_and_row_group_per_bom(boms, tmp_path):
    import pyarrow.parquet as pq

    folder, a, b = boms
    jsonl, parquet = tmp_path / "p.jsonl", tmp_path / "p.parquet"
    result = _run(folder, "--workers", "1", "-o", jsonl, "-o", parquet)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in records] == [["summary", "report"]] * 2
    assert [r["summary"]["file"] for r in records] == [str(a), str(b)]
    assert [len(r["report"]["lines"]) for r in records] == [2, 1]
    table = pq.ParquetFile(parquet)
    assert table.metadata.num_row_groups == 2
    frame = table.read().to_pandas()
    assert frame["bom"].tolist()[-1] == str(b)
    # a.csv: the magnet line (its minerals) and the housing line; b.csv: the magnet line.
    assert set(frame.loc[frame["bom"] == str(a), "row"]) == {2, 3}
    assert set(frame.loc[frame["bom"] == str(b), "row"]) == {2}


def test_one_and_two_workers_write_the_same_bytes(boms, tmp_path):
    folder, _, _ = boms
    outs = []
    for workers in ("1", "2"):
        jsonl = tmp_path / f"w{workers}.jsonl"
        result = _run(folder, "--format", "json", "--workers", workers, "-o", jsonl)
        assert result.exit_code == 0, result.output
        outs.append((result.stdout, jsonl.read_bytes()))
    assert outs[0] == outs[1]


def test_resume_keeps_earlier_records_and_audits_only_new_content(boms, tmp_path, monkeypatch):
    import exposure_audit.api as api

    folder, a, b = boms
    jsonl = tmp_path / "p.jsonl"
    first = _run(a, "--workers", "1", "-o", jsonl)
    assert first.exit_code == 0, first.output
    before = jsonl.read_bytes()
    audited = []
    real = api.audit

    def spy(path, options=None, ahead=None):
        audited.append(str(path))
        return real(path, options, ahead)

    monkeypatch.setattr(api, "audit", spy)
    again = _run(a, b, "--workers", "1", "-o", jsonl, "--resume")
    assert again.exit_code == 0, again.output
    assert audited == [str(b)]  # a.csv's content already has its record
    lines = jsonl.read_bytes().splitlines(keepends=True)
    assert lines[0] == before and len(lines) == 2
    refused = _run(a, b, "--resume", "-o", tmp_path / "p.json")
    assert refused.exit_code == 2 and "--resume" in refused.output


def test_portfolio_answers_add_up_per_bom(boms):
    from exposure_audit.api import iter_audits

    folder, a, b = boms
    outcomes = list(iter_audits([a, b], TOY, workers=1))
    result = audit_many([a, b], TOY, workers=1)
    total: dict = {}
    for o in outcomes:
        for s in o.summary.stakes:
            key = (s.mineral, s.stage, s.country)
            total[key] = total.get(key, 0.0) + s.spend
    for s in result.stakes:
        assert s.spend == pytest.approx(total[(s.mineral, s.stage, s.country)])
    # Only the magnet lines hold a China-touched mineral; the housing (ABS) holds none.
    assert {g.supplier for o in outcomes for g in o.summary.suppliers} == {""}
    assert result.suppliers[0].lines == 2 and result.supplier_boms["(no supplier named)"] == 2


def test_unknown_portfolio_output_suffix_is_a_usage_error(boms, tmp_path):
    folder, a, b = boms
    result = _run(a, b, "-o", tmp_path / "p.html")
    assert result.exit_code == 2 and ".jsonl" in result.output


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    ) as local:
        yield local


def test_a_local_dask_cluster_gives_the_same_outputs(boms, tmp_path, cluster):
    folder, _, _ = boms
    runs = []
    for extra in (["--workers", "1"], ["--scheduler", cluster.scheduler_address]):
        jsonl = tmp_path / f"{len(runs)}.jsonl"
        result = _run(folder, "--format", "json", *extra, "-o", jsonl)
        assert result.exit_code == 0, result.output
        runs.append((result.stdout, jsonl.read_bytes()))
    assert runs[0] == runs[1]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(boms):
    pytest.importorskip("distributed")
    folder, _, _ = boms
    result = _run(folder, "--scheduler", "nosuch://127.0.0.1:1")
    assert result.exit_code == 2, result.output
    assert "--scheduler" in result.output and "Traceback" not in result.output
