"""Checks that run before a spreadsheet is parsed: zip bombs and XML entity bombs."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from exposure_audit.errors import BomReadError

MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_RATIO = 250
RATIO_CHECKED_ABOVE = 50 * 1024**2
PROLOGUE_LIMIT = 64 * 1024
_REFUSED = "refused for safety; export the BOM again from its source system"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_TAG = re.compile(rb"<[A-Za-z_]")


def check_zip_container(path: Path, shown: str) -> None:
    """Refuse an OOXML/ODS container that would expand past sane limits or declares entities.

    Raises `BomReadError`; reads only the zip directory and the prologue of each XML part
    (everything before its root element, where a DOCTYPE with entities would have to be).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            packed = max(sum(i.compress_size for i in infos), 1)
            member_ratio = max(
                (
                    i.file_size / max(i.compress_size, 1)
                    for i in infos
                    if i.file_size > RATIO_CHECKED_ABOVE
                ),
                default=0.0,
            )
            too_big = total > MAX_UNCOMPRESSED_BYTES
            if (
                too_big
                or (total > RATIO_CHECKED_ABOVE and total / packed > MAX_RATIO)
                or (member_ratio > MAX_RATIO)
            ):
                raise BomReadError(
                    f"{shown} expands to {total / 1024**2:,.0f} MB from "
                    f"{packed / 1024**2:,.1f} MB (a zip bomb?)",
                    _REFUSED,
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")) and info.file_size:
                    _check_prologue(archive, info, shown)
    except zipfile.BadZipFile:
        raise BomReadError(
            f"{shown} is not a valid spreadsheet (corrupt or truncated zip)",
            "download or export the file again",
        ) from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error) as exc:
        # zlib errors, encrypted members and unsupported compression end up here.
        raise BomReadError(
            f"{shown} cannot be read as a spreadsheet ({type(exc).__name__})",
            "download or export the file again",
        ) from None


def _check_prologue(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> None:
    with archive.open(info) as member:
        head = member.read(PROLOGUE_LIMIT)
    text = head.lstrip(b"\xef\xbb\xbf")
    if text[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(text) > 1 and b"\x00" in text[:2]):
        text = text.decode("utf-16", errors="replace").encode("utf-8")
    root = _ROOT_TAG.search(text)
    prologue = text if root is None else text[: root.start()]
    if _DECLARATION.search(prologue):
        raise BomReadError(
            f"{shown}: part {info.filename} declares XML entities (an entity bomb?)", _REFUSED
        )
    if root is None and len(head) >= PROLOGUE_LIMIT:
        raise BomReadError(
            f"{shown}: part {info.filename} has no XML element in its first "
            f"{PROLOGUE_LIMIT // 1024} KB",
            _REFUSED,
        )
