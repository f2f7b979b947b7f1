"""Checks that run before a spreadsheet is parsed: zip bombs and XML entity bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

from exposure_audit.errors import BomReadError

MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_RATIO = 250
_ENTITY_MARKERS = (b"<!ENTITY", b"<!DOCTYPE")


def check_zip_container(path: Path, shown: str) -> None:
    """Refuse an OOXML/ODS container that would expand past sane limits or declares entities.

    Raises `BomReadError`; reads only the zip directory and the first bytes of each XML part.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            packed = max(sum(i.compress_size for i in infos), 1)
            if total > MAX_UNCOMPRESSED_BYTES or (total > 50 * 1024**2 and total / packed > MAX_RATIO):
                raise BomReadError(
                    f"{shown} expands to {total / 1024**2:,.0f} MB from "
                    f"{packed / 1024**2:,.1f} MB (a zip bomb?)",
                    "refused for safety; export the BOM again from its source system",
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and info.file_size:
                    with archive.open(info) as member:
                        head = member.read(2048)
                    if any(marker in head for marker in _ENTITY_MARKERS):
                        raise BomReadError(
                            f"{shown}: part {info.filename} declares XML entities "
                            "(an entity bomb?)",
                            "refused for safety; export the BOM again from its source system",
                        )
    except zipfile.BadZipFile:
        raise BomReadError(
            f"{shown} is not a valid spreadsheet (corrupt or truncated zip)",
            "download or export the file again",
        ) from None
    except OSError as exc:
        raise BomReadError(f"{shown}: cannot read ({exc})", "check the file") from None
