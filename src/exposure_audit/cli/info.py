"""Version text: the tool and the bundled reference data."""

from __future__ import annotations

from exposure_audit import __version__


def version_text() -> str:
    """`exposure-audit 0.1.0 (reference data 2026-11-28+1a2b3c4d)`; reads only file dates."""
    try:
        from exposure_audit.reference.load import bundled_directory

        directory = bundled_directory()
        import hashlib

        digest = hashlib.sha256()
        newest = ""
        for path in sorted(directory.glob("*.yaml")):
            data = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + data)
            for line in data.splitlines()[:12]:
                if line.startswith(b"as_of:"):
                    newest = max(newest, line.split(b":", 1)[1].strip().strip(b"'\"").decode())
        reference = f"{newest}+{digest.hexdigest()[:8]}"
    except Exception:  # noqa: BLE001 - version output must never fail
        reference = "unavailable"
    return f"exposure-audit {__version__} (reference data {reference})"
