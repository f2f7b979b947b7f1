"""Reading a BOM: file -> raw table (`read`) -> canonical BOM frame (`clean`).

Nothing is imported here: `bom.ahead` starts parsing a file before pandas is imported.
"""
