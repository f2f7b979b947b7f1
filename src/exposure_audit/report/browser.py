"""Finding a headless Chromium for the PDF report and the browser tests.

The tool never downloads a browser: it uses one already on the machine (Debian's `chromium`
package, a Chrome, or a browser that `playwright install` put in playwright's own cache).
`EXPOSURE_AUDIT_CHROMIUM` names one explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV = "EXPOSURE_AUDIT_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """The path of a Chromium-family browser on this machine, or None."""
    named = os.environ.get(ENV)
    if named:
        path = shutil.which(named) or named
        return path if Path(path).is_file() else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return _playwright_browser()


def _playwright_browser() -> str | None:
    """The Chromium that `playwright install chromium` keeps, if it is there."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - playwright's driver may be broken or absent
        return None
    return path if path and Path(path).is_file() else None


def have_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True
