"""The library entry points: `audit`, `validate`, `diff`. The CLI is a thin layer over these.

>>> from exposure_audit.api import audit
>>> result = audit("examples/ev_battery_pack.xlsx")        # doctest: +SKIP
>>> result.summary.score, result.summary.tier               # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from exposure_audit.engine.waivers import WaiverFile

from exposure_audit import __version__
from exposure_audit.bom.ahead import Ahead
from exposure_audit.bom.clean import clean_bom
from exposure_audit.bom.columns import match_table
from exposure_audit.bom.mapfile import TeamMap, check_archetypes, load_mapping
from exposure_audit.bom.read import read_bom
from exposure_audit.bom.text_arrow import file_sha256
from exposure_audit.compare.diff import DiffResult, check_report, compare
from exposure_audit.compare.portfolio import (
    BomSummary,
    PortfolioResult,
    failed_bom,
    summarise,
    summarise_bom,
)
from exposure_audit.engine.findings import evaluate
from exposure_audit.engine.loaded import Loaded
from exposure_audit.engine.mapping import map_contents
from exposure_audit.engine.scoring import ScoringContext, score
from exposure_audit.errors import ExposureAuditError, StrictModeError, UsageError
from exposure_audit.issues import IssueLog
from exposure_audit.reference import load_reference
from exposure_audit.report.json import is_json_report, load_report, report_dict
from exposure_audit.report.model import (
    STAGE_ASSUMPTION,
    AuditReport,
    AuditResult,
    InputInfo,
    IssueSummary,
    PolicyInfo,
    ReferenceInfo,
    Summary,
    ToolInfo,
    Unmapped,
    clean_json,
)


@dataclass
class Options:
    """Everything that shapes an audit besides the BOM file."""

    sheet: str | None = None
    encoding: str | None = None
    """`--encoding`: the text encoding of a .csv/.tsv BOM (default: detected)."""
    column_map: Mapping[str, str] = field(default_factory=dict)
    reference_dirs: Sequence[str | Path] = ()
    policy_file: str | Path | None = None
    aligned_groups: Sequence[str] = ()
    weighting: str | None = None
    as_of: dt.date | None = None
    strict: bool = False
    smelters: Sequence[str | Path] = ()
    scenarios: Sequence[str] = ()
    """`--scenario` values: bundled names, cut:MINERALS:COUNTRIES[:STAGES], or .yaml files."""
    price_shocks: Sequence[str] = ()
    """`--price-shock` values: MINERAL=+PCT."""
    include_bundled: bool = True
    """False: `reference_dirs[0]` replaces the bundled tables instead of layering over them."""
    waivers: str | Path | None = None
    """A waivers YAML file (`--waivers`): accepted findings leave `findings` (see waivers.py)."""
    rules: Sequence[str] = ()
    """`--rules`: rule packs to evaluate per line (ids, or `all`); see `exposure-audit rules`."""
    control_view: bool = False
    """`--control-view`: score on China-controlled rather than China-located shares."""
    owners: str | Path | None = None
    """`--owners FILE`: supplier ownership table (supplier, owner, country, percent)."""
    mapping: str | Path | None = None
    """`--mapping FILE`: a team's column and part mappings (bom/mapfile.py); `column_map`
    (--map) wins over its columns."""


def load(path: str | Path, options: Options | None = None, ahead: Ahead | None = None) -> Loaded:
    """Read, clean and map a BOM; `ahead` is a parse of it already started (`bom.ahead`).
    Raises `BomReadError`, `ReferenceDataError`, `UsageError`."""
    options = options or Options()
    reference = load_reference(options.reference_dirs, options.policy_file, options.include_bundled)
    raw = read_bom(path, sheet=options.sheet, ahead=ahead, encoding=options.encoding)
    team = _team_map(options, raw.headers, reference)
    columns = match_table(raw.headers, raw.frame, {**team.columns, **options.column_map})
    bom = clean_bom(raw, columns, reference.countries.aliases)
    mapping = map_contents(bom.frame, reference, sheet=raw.sheet, parts=team.decided)
    issues = IssueLog(sheet=raw.sheet)
    issues.extend(bom.issues)
    issues.extend(mapping.issues)
    return Loaded(
        path=raw.path,
        raw_format=raw.format,
        sheet=raw.sheet,
        header_row=raw.header_row,
        sha256=ahead.sha256(Path(path)) if ahead is not None else file_sha256(Path(path)),
        bom=bom,
        mapping=mapping,
        reference=reference,
        issues=issues,
    )


def _team_map(options: Options, headers: Sequence[str], reference: Any) -> TeamMap:
    """The `--mapping` file (empty without one): its columns that this BOM has, and its parts
    (each archetype checked against the reference)."""
    if options.mapping is None:
        return TeamMap()
    team = load_mapping(options.mapping)
    check_archetypes(team, reference.materials, options.mapping)
    # A team's file serves many BOMs: a column this BOM lacks is not an error here.
    present = set(headers)
    columns = {f: h for f, h in team.columns.items() if h in present}
    return TeamMap(columns, team.parts)


def next_step(text: str | None, suggestions: Sequence[str], reason: str) -> str:
    """What to do about an unmapped line: the mapping-file entry to add (with the closest
    archetype where one is close), or the column to add."""
    key = json.dumps(text or "", ensure_ascii=False)
    if suggestions:
        return (
            f"if it is {suggestions[0]}, add {key}: {suggestions[0]} under parts: in a "
            "--mapping file (validate --save-map writes one to fill in)"
        )
    if reason.startswith("recognised as"):
        return (
            "the part is recognised but its kind has no sourced composition: name its "
            f"material in a Material column, or add {key}: ARCHETYPE under parts: in a "
            "--mapping file"
        )
    return (
        f"add a Material column, or {key}: ARCHETYPE under parts: in a --mapping file "
        "(`exposure-audit materials` lists the archetypes)"
    )


def save_map(
    path: str | Path,
    columns: Mapping[str, str],
    unmapped: Iterable[tuple[str | None, str | None, Sequence[str]]],
    mapping: str | Path | None = None,
) -> None:
    """Write a mapping file (`--save-map`): the columns used (over the `mapping` file's),
    its part entries, and each unmapped (part number, description, suggestions) as a `null`
    entry keyed by its description (else its part number) with its closest archetypes."""
    from exposure_audit.bom.mapfile import save_mapping

    team = load_mapping(mapping) if mapping is not None else TeamMap()
    open_parts = [(desc or number or "", list(s)) for number, desc, s in unmapped]
    save_mapping(path, {**team.columns, **columns}, team.parts, open_parts)


def unmapped_lines(loaded: Loaded) -> list[tuple[str | None, str | None, list[str]]]:
    """(part number, description, suggestions) of each valid line left unmapped."""
    frame, lines = loaded.bom.frame, loaded.mapping.lines
    keep = frame["valid"].to_numpy(bool) & ~lines["mapped"].to_numpy(bool)
    return [
        (str(p) or None, str(d) or None, list(s))
        for p, d, s in zip(
            frame["part_number"][keep].astype(object).fillna(""),
            frame["description"][keep].astype(object).fillna(""),
            lines["suggestions"][keep],
            strict=True,
        )
    ]


def audit(
    path: str | Path, options: Options | None = None, ahead: Ahead | None = None
) -> AuditResult:
    """Audit one BOM file: read, map, score, find. Steps 1-6 of the flow.

    `ahead`: a parse of the file already started (`bom.ahead.start`). Raises
    `ExposureAuditError` subclasses for anything the user can fix; `StrictModeError` when
    `options.strict` and the BOM has error-level issues.
    """
    options = options or Options()
    waiver_file = None
    if options.waivers:
        from exposure_audit.engine.waivers import load_waivers

        waiver_file = load_waivers(options.waivers)
    loaded = load(path, options, ahead)
    if options.strict and loaded.issues.count("error"):
        first = loaded.issues.to_models(limit=1)[0][0]
        where = f"row {first.row}, column {first.column!r}" if first.row else "the BOM"
        raise StrictModeError(
            f"{loaded.path}: {loaded.issues.count('error')} error(s) in the BOM, first at "
            f"{where}: {first.message}",
            "fix the cells listed by `exposure-audit validate`, or drop --strict",
        )
    as_of = options.as_of or dt.date.today()
    unknown = [g for g in options.aligned_groups if g not in loaded.reference.groups]
    if unknown:
        raise UsageError(
            f"--aligned {', '.join(unknown)}: no such policy group",
            f"use one of: {', '.join(sorted(loaded.reference.groups))}",
        )
    rule_run = _rule_run(options, loaded.reference)
    reference = rule_run.reference if rule_run is not None else loaded.reference
    context = ScoringContext.build(
        reference, as_of, options.aligned_groups or None, options.weighting
    )
    from exposure_audit.engine import actions, scenarios

    # Malformed scenarios and price shocks are usage errors: raise them before scoring.
    resolved = scenarios.resolve_scenarios(options.scenarios, context)
    scenarios.parse_price_shocks(options.price_shocks, context)
    overrides = distributions = None
    declarations_info = None
    if options.smelters:
        from exposure_audit.declarations.overrides import declaration_overrides

        overrides, distributions, declarations_info = declaration_overrides(
            options.smelters, loaded.bom.frame, loaded.mapping, context
        )
    bom = loaded.bom.frame
    scores = score(
        bom, loaded.mapping.lines, loaded.mapping.composition, context, overrides, distributions
    )
    findings = evaluate(scores, bom, context)
    extras: dict = {}
    if options.scenarios:
        extras["scenarios"] = scenarios.dump(
            scenarios.run_scenarios(resolved, scores, context, bom)
        )
    if options.price_shocks:
        extras["price_shocks"] = scenarios.dump(
            scenarios.run_price_shocks(options.price_shocks, scores, context, bom)
        )
    extras["actions"] = actions.dump(actions.plan_actions(scores, context, bom, findings))
    if rule_run is not None:
        rule_inputs = rule_run.inputs(bom, loaded.mapping, scores, context)
        findings, rule_extras = rule_run.apply(findings, rule_inputs, as_of)
        extras.update(rule_extras)
    result = _result(loaded, context, scores, findings, declarations_info, extras)
    if waiver_file is not None:
        result = _waived(result, waiver_file, as_of)
    return result


def _waived(result: AuditResult, waiver_file: WaiverFile, as_of: dt.date) -> AuditResult:
    """`result` with the findings its waivers cover moved into `extras["waivers"]` (a new
    report: the report model is frozen)."""
    from exposure_audit.engine.waivers import part_numbers_by_row, waive

    report = result.report
    parts = part_numbers_by_row(result.lines) if any(w.part for w in waiver_file.waivers) else {}
    kept, info = waive(report.findings, waiver_file, as_of, parts)
    extras = {**report.extras, "waivers": info}
    result.report = report.model_copy(update={"findings": kept, "extras": extras})
    return result


def _rule_run(options: Options, reference: Any) -> Any:
    """The rule packs, ownership table and `--owners` of an audit (None without --rules,
    --control-view or --owners). Raises `UsageError`, `ReferenceDataError`."""
    if not (options.rules or options.control_view or options.owners):
        return None
    from exposure_audit.declarations.owners import read_owners
    from exposure_audit.declarations.rmi import normalize_company
    from exposure_audit.engine.rules import RuleRun

    owners = read_owners(options.owners, reference.countries.aliases) if options.owners else {}
    return RuleRun.prepare(
        options.rules,
        reference,
        options.reference_dirs,
        owners,
        options.control_view,
        normalize_company,
    )


def _result(
    loaded: Loaded,
    context: ScoringContext,
    scores,
    findings,
    declarations_info,
    extras: dict | None = None,
):
    bom = loaded.bom.frame
    mapping = loaded.mapping
    lines = pd.concat(
        [
            bom[
                [
                    "row",
                    "part_number",
                    "description",
                    "material",
                    "quantity",
                    "supplier",
                    "supplier_country",
                    "spend",
                    "line_mass_kg",
                    "valid",
                ]
            ],
            mapping.lines[
                ["archetype", "method", "confidence", "mapped", "suggestions", "reason"]
            ].assign(mass_basis_kg=mapping.lines["mass_basis_kg"]),
            scores.lines[
                [
                    "exposure",
                    "upstream",
                    "origin",
                    "driver",
                    "chokepoints",
                    "weighted_by",
                    "tier",
                    "weight",
                    "scored",
                ]
            ],
            bom[[f"extra:{h}" for h in loaded.bom.extra_columns]],
        ],
        axis=1,
    )
    # Missing countries as None: the values with None appended, taken by code.
    codes, values = scores.column_codes(bom, "supplier_country")
    country = pd.Series(values[codes], index=lines.index, dtype=object, copy=False)
    lines["supplier_country"] = country
    n_rows = len(bom)
    mapped_rows = int(scores.lines["scored"].sum())
    # The first 500 unmapped lines: positions first, then only those cells of the columns
    # shown are read (`lines.iloc[at]` would take those rows of every column).
    unmapped_mask = ~scores.lines["scored"].to_numpy(bool) & bom["valid"].to_numpy(bool)
    at = unmapped_mask.nonzero()[0][:500]
    shown = ("row", "part_number", "description", "suggestions", "reason")
    unmapped = [
        Unmapped(
            row=int(row),
            part_number=part_number or None,
            description=description or None,
            suggestions=list(suggestions),
            reason=str(reason or "no archetype matched"),
            next_step=next_step(description or part_number, list(suggestions), str(reason)),
        )
        for row, part_number, description, suggestions, reason in zip(
            *(lines[c].iloc[at].tolist() for c in shown), strict=True
        )
    ]
    issue_models, issue_counts = loaded.issues.to_models()
    reference = loaded.reference
    summary = clean_json(scores.summary)
    report = AuditReport(
        tool=ToolInfo(version=__version__),
        reference=ReferenceInfo(
            version=reference.version,
            as_of=max(reference.as_of.values()).isoformat(),
            tables={k: v.isoformat() for k, v in sorted(reference.as_of.items())},
            layers=reference.layers,
            sources=[s for s in reference.sources if s.get("title")],
        ),
        policy=PolicyInfo(
            aligned_groups=context.aligned_groups,
            aligned_countries=sorted(context.aligned),
            covered_countries=sorted(context.covered),
            china_codes=sorted(context.china),
            as_of=context.as_of.isoformat(),
            weighting=scores.weighting,
            tiers=reference.policy.tiers.model_dump(),
            rules=[r.model_dump(mode="json") for r in reference.policy.rules],
            assumptions=[
                STAGE_ASSUMPTION,
                "Unmapped lines are left out of the score and counted in coverage.",
                "OTHER (world output not split by country) counts as unknown.",
            ],
        ),
        input=InputInfo(
            path=loaded.path,
            sha256=loaded.sha256,
            format=loaded.raw_format,
            sheet=loaded.sheet,
            header_row=loaded.header_row,
            rows=n_rows,
            skipped_rows=loaded.bom.skipped_rows,
            mapped_rows=mapped_rows,
            coverage=mapped_rows / n_rows if n_rows else 0.0,
            columns=dict(sorted(loaded.bom.columns.fields.items())),
        ),
        weighting=scores.weighting,
        currency=_currency(loaded),
        summary=Summary(**summary),
        minerals=clean_json(scores.minerals),
        unmapped=unmapped,
        findings=findings,
        issues=IssueSummary(counts=issue_counts, listed=issue_models),
        extras={
            **({"declarations": declarations_info} if declarations_info else {}),
            **(extras or {}),
        },
    )
    # Per line and mineral rows are expanded only when a format asks for them.
    return AuditResult(
        report=report,
        lines=lines,
        line_minerals=scores,
        extra_columns=list(loaded.bom.extra_columns),
    )


def _currency(loaded: Loaded) -> str | None:
    currency = loaded.bom.currency
    cells = loaded.bom.frame["currency"]
    if cells.ne("").any():
        values = sorted(set(cells[cells.ne("")].str.upper()))
        currency = values[0] if len(values) == 1 else "mixed"
    return currency


# --------------------------------------------------------------------------- diff


def as_report(source: Any, options: Any = None, what: str = "input") -> tuple[dict[str, Any], str]:
    """(report dict, kind) for a path (BOM or JSON report), an `AuditResult` or a report dict."""
    if isinstance(source, AuditResult):
        return report_dict(source), "audit"
    if isinstance(source, Mapping):
        return check_report(dict(source), "(report)", what), "report"
    if is_json_report(source):
        return load_report(source, what), "report"
    return report_dict(audit(source, options)), "bom"


def diff(
    old: Any,
    new: Any,
    options: Any = None,
    *,
    fail_on: str = "high",
    fail_on_increase: float = 0,
    new_options: Any = None,
) -> DiffResult:
    """Compare two BOMs or JSON reports (paths), `AuditResult`s or report dicts. BOMs are
    audited with `options` (an `api.Options`), NEW with `new_options` when given (e.g. the same
    BOM at a later `as_of`). Raises `UsageError` for an unreadable report."""
    old_report, old_kind = as_report(old, options, "OLD")
    new_report, new_kind = as_report(new, new_options or options, "NEW")
    return compare(
        old_report,
        new_report,
        old_label=_label(old, old_report),
        new_label=_label(new, new_report),
        old_kind=old_kind,
        new_kind=new_kind,
        fail_on=fail_on,
        fail_on_increase=fail_on_increase,
    )


def _label(source: Any, report: Mapping[str, Any]) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return str(report.get("input", {}).get("path", "(report)"))


def attach_baseline(
    result: Any,
    baseline: Mapping[str, Any] | str | Path,
    *,
    fail_on: str = "none",
    fail_on_increase: float = 0,
    label: str | None = None,
) -> DiffResult:
    """Compare an audit with a baseline JSON report and add the `baseline` key to its report.

    The returned diff's gate trips when the score rose by more than `fail_on_increase` points
    or a new finding is at or above `fail_on`."""
    if isinstance(baseline, Mapping):
        report = check_report(dict(baseline), label or "(baseline)", "baseline")
    else:
        report = load_report(baseline, "baseline")
    label = label or (str(baseline) if isinstance(baseline, str | Path) else "(baseline)")
    result_diff = compare(
        report,
        report_dict(result),
        old_label=label,
        new_label=result.report.input.path,
        fail_on=fail_on,
        fail_on_increase=fail_on_increase,
    )
    extras = {**result.report.extras, "baseline": result_diff.baseline_dict()}
    result.report = result.report.model_copy(update={"extras": extras})
    return result_diff


# --------------------------------------------------------------------------- portfolio

BOM_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt", ".tab"}


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a folder gives its BOM files (by suffix, sorted by name, not recursive).
    Raises `UsageError` for a folder without any BOM file."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in BOM_SUFFIXES
                and not p.name.startswith((".", "~$"))
            )
            if not found:
                raise UsageError(
                    f"{path}: no BOM files in the folder",
                    f"put {', '.join(sorted(BOM_SUFFIXES))} files in it",
                )
            out.extend(found)
        else:
            out.append(path)
    return out


@dataclass(frozen=True)
class PortfolioJob:
    """One BOM of a portfolio as a task: what to audit and which renderings to send back
    (`report.portfolio.PAYLOADS`: "json", "jsonl", "parquet")."""

    path: Path
    options: Options
    payloads: tuple[str, ...] = ()


@dataclass
class BomOutcome:
    """A task's answer: the BOM's summary and the renderings asked for (None where it failed)."""

    summary: BomSummary
    payloads: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    """Not audited again: `done` knew its summary (its renderings were written before)."""


def audit_task(job: PortfolioJob) -> BomOutcome:
    """Audit one BOM of a portfolio and boil it down (runs in a worker: local process or Dask).
    The reference tables are cached per process, so a worker loads them once."""
    from exposure_audit.report.portfolio import render_payload

    try:
        result = audit(job.path, job.options)
    except ExposureAuditError as exc:
        return BomOutcome(failed_bom(str(job.path), str(exc)))
    summary = summarise_bom(str(job.path), result)
    return BomOutcome(summary, {k: render_payload(k, summary, result) for k in job.payloads})


def iter_audits(
    paths: Sequence[str | Path],
    options: Options | None = None,
    workers: int | None = None,
    *,
    scheduler: str | None = None,
    payloads: Sequence[str] = (),
    done: Callable[[Path], BomSummary | None] | None = None,
) -> Iterator[BomOutcome]:
    """Audit every BOM in `paths` (files or folders), yielding each outcome in input order as
    soon as it and those before it are done (see `batch.ordered_map`: local processes, or the
    Dask cluster at `scheduler`). `done(path)` may give a BOM's outcome without auditing it
    (`--resume`: a report of the same content already written)."""
    from exposure_audit.batch import ordered_map

    options = options or Options()
    files = expand_paths(paths)
    known = {f: done(f) for f in files} if done is not None else {}
    todo = [PortfolioJob(f, options, tuple(payloads)) for f in files if known.get(f) is None]
    fresh = ordered_map(audit_task, todo, workers=workers, scheduler=scheduler)
    for f in files:
        summary = known.get(f)
        yield BomOutcome(summary, resumed=True) if summary is not None else next(fresh)


def audit_many(
    paths: Sequence[str | Path],
    options: Options | None = None,
    workers: int | None = None,
    *,
    scheduler: str | None = None,
) -> PortfolioResult:
    """Audit every BOM in `paths` (files or folders) and summarise the portfolio from the
    per-BOM summaries (no BOM's lines are kept). Up to `workers` local processes (default
    `os.cpu_count()`), or the Dask cluster at `scheduler`."""
    return summarise(o.summary for o in iter_audits(paths, options, workers, scheduler=scheduler))
