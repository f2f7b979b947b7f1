"""Text folding shared by column detection, material mapping and country names."""

from __future__ import annotations

import re
import unicodedata

_NOT_KEPT = re.compile(r"[^0-9a-z.%+/]+")


def fold(text: str) -> str:
    """Fold text for matching: NFKC, casefold, punctuation to spaces, spaces collapsed.

    Letters outside a-z (after casefold and accent stripping) become spaces too, so "Türkiye"
    folds to "turkiye" and "Côte d'Ivoire" to "cote d ivoire".

    >>> fold("  NdFeB-N52 (12x5x3mm) ")
    'ndfeb n52 12x5x3mm'
    """
    if text.isascii():  # the usual case: normalising and accent stripping change nothing
        return _NOT_KEPT.sub(" ", text.lower()).strip(" .")
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_KEPT.sub(" ", text).strip(" .")


def fold_header(text: str) -> str:
    """Fold a column header: like `fold`, but '.', '/', '%' and '+' become spaces as well."""
    return re.sub(r"[^0-9a-z]+", " ", fold(text)).strip()
