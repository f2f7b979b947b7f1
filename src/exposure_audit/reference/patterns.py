"""What text a material pattern needs: strings that any match of it holds, read from the regex.

Worked out when the reference tables are loaded (and cached on disk with them), so the mapper can
skip, without compiling it, every pattern a text cannot match. E.g. r"\bblade (cell|battery)\b"
needs "blade cell" or "blade battery", each at the start of a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# NOTE: the `re` module's own parser, so a pattern is read exactly as it will be compiled. Both
# modules are private but have kept this shape since Python 3.11 (sre_parse before).
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_WORD = re.compile(r"\w+")
_MAX_STRINGS = 64
"""The most alternative strings followed through one run of a pattern, e.g. (nmc|ncm) ?811."""

Need = frozenset[tuple[str, bool]]
"""A text the pattern matches holds one of these strings (True: at the start of a word)."""


def pattern_needs(pattern: str) -> Need | None:
    """Strings a text must hold (one of them) for `pattern` to match; None when unknown."""
    parsed = _parser.parse(pattern)
    if parsed.state.flags & ~sre.SRE_FLAG_UNICODE:
        return None  # flags change what letters, \b or ^ mean
    return _most_selective(_needs(parsed.data, False)[1])


def _most_selective(needs: Iterable[Need]) -> Need | None:
    """Prefer needs found by word look-up, then the longest strings."""
    return max(
        needs,
        key=lambda need: (all(at_word for _, at_word in need), min(len(s) for s, _ in need)),
        default=None,
    )


def _needs(items: Sequence[Any], at_word: bool) -> tuple[set[str] | None, list[Need]]:
    """For a sequence of parsed regex items: the exact strings it matches (None when not a small
    set) and needs that hold for any match. `at_word`: whether it starts where \\b or ^ held."""
    needs: list[Need] = []
    run: set[str] = {""}  # the strings matched by the items since the last one not followed
    exact = True

    def close() -> None:
        nonlocal run, at_word, exact
        if "" not in run:
            needs.append(frozenset((s, at_word and _WORD.match(s) is not None) for s in run))
        run, at_word, exact = {""}, False, False

    def extend(strings: set[str]) -> None:
        nonlocal run
        if len(run) * len(strings) > _MAX_STRINGS:
            close()
        run = {a + b for a in run for b in strings}

    for op, av in items:
        here = at_word and run == {""}  # a word may start here
        if op is sre.LITERAL:
            extend({chr(av)})
        elif op is sre.IN and (chars := _class_chars(av)) is not None:
            extend(chars)
        elif op is sre.AT:  # zero width: \b and ^ tell that a word starts here
            if run == {""} and av in (sre.AT_BOUNDARY, sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
                at_word = True
        elif op is sre.ASSERT_NOT:
            pass  # zero width, needs nothing
        elif op is sre.ASSERT:  # zero width, but what it looks at is in the text
            direction, sub = av
            needs += _needs(sub, here and direction == 1)[1]
        elif op is sre.SUBPATTERN and not av[1] and not av[2]:  # a group without inline flags
            strings, sub_needs = _needs(av[3], here)
            needs += sub_needs
            close() if strings is None else extend(strings)
        elif op is sre.BRANCH:
            branches = [_needs(branch, here) for branch in av[1]]
            if all(strings is not None for strings, _ in branches):
                extend(set().union(*(strings for strings, _ in branches)))  # type: ignore[arg-type]
            else:
                close()
                either = [_most_selective(branch_needs) for _, branch_needs in branches]
                if all(need is not None for need in either):
                    needs.append(frozenset().union(*either))  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            strings, sub_needs = _needs(sub, here)
            if low == high == 1:
                needs += sub_needs
                close() if strings is None else extend(strings)
            elif low == 0 and high == 1 and strings is not None:
                extend(strings | {""})
            else:
                close()
                if low >= 1:
                    needs += sub_needs
        else:  # any character, a negated class, a back-reference...: the run ends here
            close()
    strings = run if exact else None
    close()
    return strings, needs


def _class_chars(items: Sequence[Any]) -> set[str] | None:
    """The characters of a small character class like [23] or [1-3]; None for others."""
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < 10:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    return chars
