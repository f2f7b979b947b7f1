"""Reference tables: minerals, supply shares, materials, countries, policy groups, policy."""

from exposure_audit.reference.load import ReferenceSet, bundled_directory, load_reference

__all__ = ["ReferenceSet", "bundled_directory", "load_reference"]
