"""Load the reference tables: the bundled set, then user layers, validated and cross-checked.

Every problem in every file is collected and raised at once in one `ReferenceDataError`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference.models import (
    OTHER,
    CountriesFile,
    FileHeader,
    Group,
    GroupsFile,
    Material,
    MaterialsFile,
    Mineral,
    MineralsFile,
    Policy,
    PolicyFile,
    Price,
    PricesFile,
    Scenario,
    ScenariosFile,
    SupplyEntry,
    SupplyFile,
    partial_date_end,
)
from exposure_audit.reference.patterns import NEEDS_VERSION, Need, pattern_needs
from exposure_audit.text import fold

FILES: dict[str, type[FileHeader]] = {
    "minerals.yaml": MineralsFile,
    "supply.yaml": SupplyFile,
    "materials.yaml": MaterialsFile,
    "countries.yaml": CountriesFile,
    "groups.yaml": GroupsFile,
    "policy.yaml": PolicyFile,
    "prices.yaml": PricesFile,
    "scenarios.yaml": ScenariosFile,
}
"""`prices.yaml` and `scenarios.yaml` are optional in every layer."""
REQUIRED = (
    "minerals.yaml",
    "supply.yaml",
    "materials.yaml",
    "countries.yaml",
    "groups.yaml",
    "policy.yaml",
)


@lru_cache(maxsize=1)
def _unique_key_loader() -> type:
    """A safe loader that refuses duplicate mapping keys (PyYAML keeps the last silently).

    Made on first use: an audit reads the tables from the cache and never imports PyYAML."""
    import yaml

    class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def bundled_directory() -> Path:
    """Where the bundled tables are: inside the installed package, else the source checkout."""
    packaged = resources.files("exposure_audit") / "_reference"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "data" / "reference"
    if checkout.is_dir():
        return checkout
    raise ReferenceDataError(
        "the bundled reference tables are missing from this installation",
        "reinstall exposure-audit (pip install --force-reinstall exposure-audit)",
    )


@dataclass
class ReferenceSet:
    """All reference tables, indexed for look-up."""

    minerals: dict[str, Mineral]
    supply: dict[tuple[str, str], SupplyEntry]
    materials: dict[str, Material]
    countries: CountriesFile
    groups: dict[str, Group]
    policy: Policy
    as_of: dict[str, dt.date]
    directories: list[str]
    """Every folder read, the bundled one first when it was used."""
    layers: list[str]
    """The same, with the bundled folder named 'bundled' (paths vary by installation)."""
    digest: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    prices: dict[tuple[str, str], Price] = field(default_factory=dict)
    """(mineral, kind) -> published price (prices.yaml; kind is average or floor)."""
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    """Scenario id -> named supply-cut scenario (scenarios.yaml)."""
    pattern_needs: dict[str, Need | None] = field(default_factory=dict)
    """Material pattern -> strings a text needs for it to match (`patterns.pattern_needs`),
    worked out here so that it is cached with the tables."""

    @property
    def version(self) -> str:
        """Reference version: the newest `as_of` of the tables and a short content digest."""
        newest = max(self.as_of.values()) if self.as_of else dt.date(1970, 1, 1)
        return f"{newest.isoformat()}+{self.digest[:8]}"

    def mineral_aliases(self) -> dict[str, str]:
        """Folded name, symbol or alias -> mineral id."""
        index: dict[str, str] = {}
        for mineral in self.minerals.values():
            for name in (mineral.id, mineral.id.replace("_", " "), mineral.name, *mineral.aliases):
                index.setdefault(fold(name), mineral.id)
        for mineral in self.minerals.values():
            if mineral.symbol:
                index.setdefault(fold(mineral.symbol), mineral.id)
        return index

    def group_members(self, group_id: str, as_of: dt.date) -> set[str]:
        """ISO alpha-3 codes of a group's counting members on a date (EU expanded)."""
        group = self.groups[group_id]
        members: set[str] = set()
        for member in group.members:
            if group.counting_statuses is not None and member.status not in group.counting_statuses:
                continue
            if member.date is not None and partial_date_end(member.date) > as_of:
                continue
            if member.iso3 == "EU":
                members |= self.eu_members(as_of)
            else:
                members.add(member.iso3)
        return members

    def eu_members(self, as_of: dt.date) -> set[str]:
        return {
            m.iso3
            for m in self.countries.eu_members
            if m.joined <= as_of and (m.left is None or as_of < m.left)
        }

    def aligned_countries(self, as_of: dt.date, groups: Sequence[str] | None = None) -> set[str]:
        policy = self.policy
        chosen = policy.aligned_groups if groups is None else list(groups)
        result: set[str] = {"USA"} if policy.include_united_states else set()
        for group_id in chosen:
            result |= self.group_members(group_id, as_of)
        return result

    def covered_countries(self, as_of: dt.date) -> set[str]:
        return self.group_members(self.policy.covered_group, as_of)

    def china_codes(self) -> set[str]:
        codes = {"CHN"}
        if self.policy.hong_kong_macao_as_china:
            codes |= set(self.countries.china_regions)
        return codes


def load_reference(
    directories: Sequence[str | Path] = (),
    policy_file: str | Path | None = None,
    include_bundled: bool = True,
) -> ReferenceSet:
    """The bundled tables, then each user directory layered over them, then `policy_file`.

    With `include_bundled=False` the first directory is the base and must hold every table.
    Raises `ReferenceDataError` listing every problem found.
    """
    key = (
        tuple(str(Path(d)) for d in directories),
        str(policy_file) if policy_file else None,
        include_bundled,
    )
    stamp = tuple(_mtimes([*key[0], *([key[1]] if key[1] else [])]))
    return _load(key, stamp)


@lru_cache(maxsize=8)
def _load(key: tuple[tuple[str, ...], str | None, bool], stamp: tuple[float, ...]) -> ReferenceSet:
    """Once per process per key: from the on-disk cache when it holds these exact tables."""
    disk_key = _disk_key(key)
    reference = _read_disk_cache(disk_key) if disk_key else None
    if reference is None:
        reference = _load_cached(key, stamp)
        if disk_key:
            _write_disk_cache(disk_key, reference)
    return reference


# --- the on-disk cache -------------------------------------------------------------------------
# Parsing and validating the YAML tables costs ~0.3 s per run; the validated `ReferenceSet`
# is stored as JSON under the sha256 of every table's bytes and the tool's and Python's
# versions, so any edit to a table (or an upgrade) misses the cache. JSON cannot run code when
# read (a pickle can: anyone able to write the cache folder would run code in every audit), and
# what is read back is validated again by the same pydantic models as the YAML tables. A cache
# file that is not owned by the current user, is writable by others, or fails validation is
# ignored and rebuilt; a cache that cannot be written is ignored: the tables are then parsed.

CACHE_FORMAT = 3
"""Part of the cache key: raise it when `ReferenceSet` gains or changes a field, so that sets
stored by an older build of the same version are not read back."""


@dataclass
class _Wire:
    """`ReferenceSet` in a JSON-friendly shape: tuple-keyed tables as lists of entries."""

    key: str
    minerals: dict[str, Mineral]
    supply: list[tuple[str, str, SupplyEntry]]
    materials: dict[str, Material]
    countries: CountriesFile
    groups: dict[str, Group]
    policy: Policy
    as_of: dict[str, dt.date]
    directories: list[str]
    layers: list[str]
    digest: str
    sources: list[dict[str, Any]]
    prices: list[tuple[str, str, Price]]
    scenarios: dict[str, Scenario]
    pattern_needs: dict[str, Need | None]


@lru_cache(maxsize=1)
def _wire_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(_Wire)


def _to_wire(disk_key: str, reference: ReferenceSet) -> _Wire:
    return _Wire(
        key=disk_key,
        minerals=reference.minerals,
        supply=[(a, b, entry) for (a, b), entry in reference.supply.items()],
        materials=reference.materials,
        countries=reference.countries,
        groups=reference.groups,
        policy=reference.policy,
        as_of=reference.as_of,
        directories=reference.directories,
        layers=reference.layers,
        digest=reference.digest,
        sources=reference.sources,
        prices=[(a, b, price) for (a, b), price in reference.prices.items()],
        scenarios=reference.scenarios,
        pattern_needs=reference.pattern_needs,
    )


def _from_wire(wire: _Wire) -> ReferenceSet:
    return ReferenceSet(
        minerals=wire.minerals,
        supply={(a, b): entry for a, b, entry in wire.supply},
        materials=wire.materials,
        countries=wire.countries,
        groups=wire.groups,
        policy=wire.policy,
        as_of=wire.as_of,
        directories=wire.directories,
        layers=wire.layers,
        digest=wire.digest,
        sources=wire.sources,
        prices={(a, b): price for a, b, price in wire.prices},
        scenarios=wire.scenarios,
        pattern_needs=wire.pattern_needs,
    )


def cache_directory() -> Path | None:
    """Where the parsed reference is cached; None when disabled (EXPOSURE_AUDIT_NO_CACHE=1)."""
    import os

    if os.environ.get("EXPOSURE_AUDIT_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("EXPOSURE_AUDIT_CACHE_DIR"):
        return Path(os.environ["EXPOSURE_AUDIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "exposure-audit"


def _disk_key(key: tuple[tuple[str, ...], str | None, bool]) -> str | None:
    """sha256 over the tool version and every table file's name and bytes, layer by layer;
    None when caching is off or a file cannot be read (the normal load then reports it)."""
    import sys

    from exposure_audit import __version__

    if cache_directory() is None:
        return None
    user_dirs, policy_file, include_bundled = key
    digest = hashlib.sha256(
        f"{__version__}|{CACHE_FORMAT}|n{NEEDS_VERSION}|{sys.version}|{include_bundled}".encode()
    )
    try:
        bases = [str(bundled_directory())] if include_bundled else []
        for index, directory in enumerate([*bases, *user_dirs]):
            digest.update(f"|layer {index}".encode())
            for name in sorted(FILES):
                file = Path(directory) / name
                if file.is_file():
                    digest.update(f"|{name}|".encode())
                    digest.update(file.read_bytes())
        if policy_file:
            digest.update(b"|policy|" + Path(policy_file).read_bytes())
    except OSError:
        return None
    if user_dirs or policy_file:
        # User tables without a header default to today's date as their as_of.
        digest.update(dt.date.today().isoformat().encode())
    return digest.hexdigest()


def cache_file(disk_key: str) -> Path | None:
    """The cache file for a key (None when caching is off)."""
    folder = cache_directory()
    return None if folder is None else folder / f"reference-{disk_key}.json"


def _trusted(path: Path) -> bool:
    """Whether a cache file (and its folder) is ours and writable by no one else."""
    import os
    import stat

    getuid = getattr(os, "getuid", None)
    for item in (path, path.parent):
        info = item.lstat()
        if stat.S_ISLNK(info.st_mode):
            return False
        if getuid is not None and info.st_uid != getuid():
            return False
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
            return False
    return True


def _read_disk_cache(disk_key: str) -> ReferenceSet | None:
    """The cached set for `disk_key`, or None (missing, foreign, stale or not valid)."""
    file = cache_file(disk_key)
    if file is None:
        return None
    try:
        if not _trusted(file):
            return None
        wire = _wire_adapter().validate_json(file.read_bytes())
    except Exception:  # noqa: BLE001 — a missing, stale or corrupt cache is just a miss
        return None
    return _from_wire(wire) if wire.key == disk_key else None


def _write_disk_cache(disk_key: str, reference: ReferenceSet) -> None:
    import contextlib
    import os
    import tempfile

    file = cache_file(disk_key)
    if file is None:
        return
    tmp = ""
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = _wire_adapter().dump_json(_to_wire(disk_key, reference))
        # Written to a temporary file and renamed: a concurrent run never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, file)
    except Exception:  # noqa: BLE001 — an unwritable cache folder must never fail an audit
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _mtimes(paths: Iterable[str]) -> list[float]:
    stamps = []
    for p in paths:
        path = Path(p)
        try:
            stamps.append(
                max([path.stat().st_mtime, *(f.stat().st_mtime for f in path.glob("*.yaml"))])
                if path.is_dir()
                else path.stat().st_mtime
            )
        except OSError:
            stamps.append(-1.0)
    return stamps


@lru_cache(maxsize=8)
def _load_cached(
    key: tuple[tuple[str, ...], str | None, bool], stamp: tuple[float, ...]
) -> ReferenceSet:
    del stamp  # part of the cache key only
    user_dirs, policy_file, include_bundled = key
    problems: list[str] = []
    digest = hashlib.sha256()
    layers: list[tuple[str, dict[str, FileHeader]]] = []
    bases = [str(bundled_directory())] if include_bundled else []
    for index, directory in enumerate([*bases, *user_dirs]):
        layers.append((directory, _read_layer(index, directory, problems, digest)))
    if policy_file:
        layers.extend(_read_policy(policy_file, problems, digest))
    if problems:
        raise _problems_error(problems)
    reference = _merge(layers, digest.hexdigest(), include_bundled)
    problems.extend(check_reference(reference))
    if problems:
        raise _problems_error(problems)
    return reference


def _read_layer(
    index: int, directory: str, problems: list[str], digest: Any
) -> dict[str, FileHeader]:
    """One folder of tables (index 0: the base set), validated; problems are collected. A user
    folder (index > 0) must exist and hold at least one table."""
    path = Path(directory)
    if index > 0 and not path.is_dir():
        raise ReferenceDataError(
            f"--reference {directory}: no such folder",
            "name a folder holding minerals.yaml, materials.yaml, ... (see the README)",
        )
    parsed: dict[str, FileHeader] = {}
    for name, model in sorted(FILES.items()):
        file = path / name
        if not file.exists():
            if index == 0 and name in REQUIRED:
                problems.append(f"{file}: missing")
            continue
        data = _read_yaml(file, problems, digest)
        if data is None:
            continue
        if index > 0:
            data = _fill_header(data)
        try:
            parsed[name] = model.model_validate(data)
        except ValidationError as exc:
            problems.extend(_format_validation(file, exc))
    if index > 0 and not parsed and not problems:
        raise ReferenceDataError(
            f"--reference {directory}: no reference tables in this folder",
            f"put files named {', '.join(FILES)} there",
        )
    return parsed


def _read_policy(
    policy_file: str, problems: list[str], digest: Any
) -> list[tuple[str, dict[str, FileHeader]]]:
    """The `--policy` file as a layer of its own (none when it does not validate)."""
    path = Path(policy_file)
    if not path.is_file():
        raise ReferenceDataError(f"--policy {policy_file}: no such file", "check the path")
    data = _read_yaml(path, problems, digest)
    if data is None:
        return []
    try:
        return [(str(path), {"policy.yaml": PolicyFile.model_validate(_fill_header(data))})]
    except ValidationError as exc:
        problems.extend(_format_validation(path, exc))
        return []


def _fill_header(data: Any) -> Any:
    """User layers may leave out the header; it defaults to today's date as `as_of`."""
    if isinstance(data, dict):
        data = dict(data)
        data.setdefault("as_of", dt.date.today().isoformat())
    return data


def _read_yaml(file: Path, problems: list[str], digest: Any) -> Any:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        problems.append(f"{file}: cannot read ({exc.strerror})")
        return None
    digest.update(file.name.encode() + b"\0" + raw)
    import yaml

    try:
        data = yaml.load(raw, Loader=_unique_key_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{file}{where}: not valid YAML ({what})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{file}: expected a mapping at the top level")
        return None
    return data


def _format_validation(file: Path, exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        out.append(f"{file}: {loc}: {error['msg']}")
    return out


def _problems_error(problems: list[str]) -> ReferenceDataError:
    head = problems[0] if len(problems) == 1 else f"{len(problems)} problems in the reference data"
    return ReferenceDataError(
        head,
        "fix the files listed (run `exposure-audit reference check DIR` to see them all)",
        problems=problems,
    )


def _merge(
    layers: list[tuple[str, dict[str, FileHeader]]], digest: str, include_bundled: bool
) -> ReferenceSet:
    names = [("bundled" if include_bundled and i == 0 else d) for i, (d, _) in enumerate(layers)]
    minerals: dict[str, Mineral] = {}
    supply: dict[tuple[str, str], SupplyEntry] = {}
    materials: dict[str, Material] = {}
    groups: dict[str, Group] = {}
    countries: CountriesFile | None = None
    policy: Policy | None = None
    prices: dict[tuple[str, str], Price] = {}
    scenarios: dict[str, Scenario] = {}
    as_of: dict[str, dt.date] = {}
    sources: list[dict[str, Any]] = []
    for (_, parsed), layer in zip(layers, names, strict=True):
        for name, model in parsed.items():
            as_of[name] = max(as_of.get(name, model.as_of), model.as_of)
            src = model.source
            sources.append(
                {
                    "file": name,
                    "layer": layer,
                    "as_of": model.as_of.isoformat(),
                    **({"title": src.title, "url": src.url, "year": src.year} if src else {}),
                }
            )
            if isinstance(model, MineralsFile):
                minerals.update({m.id: m for m in model.minerals})
            elif isinstance(model, SupplyFile):
                supply.update({(s.mineral, s.stage): s for s in model.supply})
            elif isinstance(model, MaterialsFile):
                materials.update({m.id: m for m in model.materials})
            elif isinstance(model, GroupsFile):
                groups.update({g.id: g for g in model.groups})
            elif isinstance(model, CountriesFile):
                if countries is None:
                    countries = model
                else:
                    countries = model.model_copy(
                        update={
                            "aliases": {**countries.aliases, **model.aliases},
                            "eu_members": model.eu_members or countries.eu_members,
                        }
                    )
            elif isinstance(model, PolicyFile):
                policy = model.policy
            elif isinstance(model, PricesFile):
                prices.update({(p.mineral, p.kind): p for p in model.prices})
            elif isinstance(model, ScenariosFile):
                scenarios.update({s.id: s for s in model.scenarios})
    assert countries is not None and policy is not None  # REQUIRED files were checked
    return ReferenceSet(
        minerals=minerals,
        supply=supply,
        materials=materials,
        countries=countries,
        groups=groups,
        policy=policy,
        as_of=as_of,
        directories=[d for d, _ in layers],
        layers=names,
        digest=digest,
        sources=sources,
        prices=prices,
        scenarios=scenarios,
        pattern_needs={p: pattern_needs(p) for m in materials.values() for p in m.patterns},
    )


def check_reference(reference: ReferenceSet) -> list[str]:
    """Cross-file checks: ids exist, country codes are ISO alpha-3, aliases are unambiguous."""
    return [
        *_check_supply(reference),
        *_check_materials(reference),
        *_check_countries(reference),
        *_check_scenarios(reference),
        *(
            f"policy.yaml: unknown group {group_id!r}"
            for group_id in [*reference.policy.aligned_groups, reference.policy.covered_group]
            if group_id not in reference.groups
        ),
    ]


def _check_supply(reference: ReferenceSet) -> list[str]:
    from exposure_audit.reference.countries import valid_iso3

    problems: list[str] = []
    for (mineral, stage), entry in sorted(reference.supply.items()):
        if mineral not in reference.minerals:
            problems.append(f"supply.yaml: {mineral}/{stage}: unknown mineral {mineral!r}")
        bad = [c for c in entry.shares if c != OTHER and not valid_iso3(c)]
        if bad:
            problems.append(f"supply.yaml: {mineral}/{stage}: not ISO alpha-3: {', '.join(bad)}")
    return problems


def _check_materials(reference: ReferenceSet) -> list[str]:
    """Minerals the compositions name exist; no alias names two materials."""
    problems: list[str] = []
    seen_alias: dict[str, str] = {}
    for material in reference.materials.values():
        for component in material.composition:
            if component.mineral not in reference.minerals:
                problems.append(
                    f"materials.yaml: {material.id}: unknown mineral {component.mineral!r}"
                )
        for alias in material.aliases:
            folded = fold(alias)
            other = seen_alias.setdefault(folded, material.id)
            if other != material.id:
                problems.append(
                    f"materials.yaml: alias {alias!r} of {material.id} is also an alias of {other}"
                )
    return problems


def _check_countries(reference: ReferenceSet) -> list[str]:
    """Group members and country aliases are ISO alpha-3 codes (or EU); prices name minerals."""
    from exposure_audit.reference.countries import valid_iso3

    problems: list[str] = []
    for group in reference.groups.values():
        bad = [m.iso3 for m in group.members if m.iso3 != "EU" and not valid_iso3(m.iso3)]
        if bad:
            problems.append(f"groups.yaml: {group.id}: not ISO alpha-3: {', '.join(bad)}")
    for alias, code in reference.countries.aliases.items():
        if code != "EU" and not valid_iso3(code):
            problems.append(f"countries.yaml: alias {alias!r} -> {code}: not ISO alpha-3")
    for mineral, kind in sorted(reference.prices):
        if mineral not in reference.minerals:
            problems.append(f"prices.yaml: {mineral}/{kind}: unknown mineral {mineral!r}")
    return problems


def _check_scenarios(reference: ReferenceSet) -> list[str]:
    from exposure_audit.reference.countries import valid_iso3

    problems: list[str] = []
    aliases = reference.mineral_aliases()
    for scenario in reference.scenarios.values():
        for cut in scenario.cuts:
            unknown = [m for m in cut.minerals if m != "*" and fold(m) not in aliases]
            if unknown:
                problems.append(
                    f"scenarios.yaml: {scenario.id}: unknown mineral(s) {', '.join(unknown)}"
                )
            bad = [
                c
                for c in cut.countries
                if c not in ("CHINA", "COVERED") and c not in reference.groups and not valid_iso3(c)
            ]
            if bad:
                problems.append(
                    f"scenarios.yaml: {scenario.id}: not an ISO alpha-3 code, "
                    f"CHINA, COVERED or a group id: {', '.join(bad)}"
                )
    return problems
