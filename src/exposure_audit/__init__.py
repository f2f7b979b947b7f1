"""exposure-audit: how exposed a bill of materials is to China-dominated critical-mineral chains."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
