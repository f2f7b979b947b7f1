"""What text a material pattern needs: strings that any match of it holds, read from the regex.

Worked out when the reference tables are loaded (and cached on disk with them), so the mapper can
skip, without compiling it, every pattern a text cannot match. E.g. r"\\bblade (cell|battery)\\b"
needs "blade cell" or "blade battery", each at the start of a word.

The pattern is read by a small parser of its own (`_Parser`) for the regex syntax the reference
tables use: literals and escapes, character classes, groups, lookarounds, alternation and
quantifiers. Anything else (inline flags, back-references, conditionals, atomic groups) is
read as "needs nothing here", so the answer stays a superset: a pattern is never skipped for a
text it matches. No private module of `re` is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+")
NEEDS_VERSION = 2
"""Bumped when `pattern_needs` reads patterns differently (part of the disk cache key)."""
_MAX_STRINGS = 64
"""The most alternative strings followed through one run of a pattern, e.g. (nmc|ncm) ?811."""

Need = frozenset[tuple[str, bool]]
"""A text the pattern matches holds one of these strings (True: at the start of a word)."""


# --- the parsed form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One parsed regex item.

    kind: "chars" (one character out of `chars`; None: not a small known set), "at" (zero
    width; `at` is "word", "start" or "other"), "ahead"/"behind" (a lookaround that must
    match, over `items`), "not" (a lookaround that must fail), "group" (over `items`),
    "branch" (over `branches`), "repeat" (`low`..`high` times `items`; high None: unbounded),
    "opaque" (anything else: the run of literal text ends here)."""

    kind: str
    chars: frozenset[str] | None = None
    at: str = ""
    items: tuple[_Item, ...] = ()
    branches: tuple[tuple[_Item, ...], ...] = ()
    low: int = 1
    high: int | None = 1


_ESCAPES_AT = {"b": "word", "A": "start", "B": "other", "Z": "other", "z": "other"}
_CLASS_ESCAPES = set("wWdDsS")


class _Unsupported(Exception):
    """Syntax the parser does not read (the caller answers None)."""


@dataclass
class _Parser:
    text: str
    pos: int = 0
    global_flags: bool = False
    groups: list[int] = field(default_factory=list)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def take(self, n: int = 1) -> str:
        out = self.text[self.pos : self.pos + n]
        self.pos += n
        return out

    def alternation(self) -> tuple[_Item, ...]:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        if len(branches) == 1:
            return branches[0]
        return (_Item("branch", branches=tuple(branches)),)

    def sequence(self) -> tuple[_Item, ...]:
        items: list[_Item] = []
        while self.pos < len(self.text) and self.peek() not in "|)":
            atom = self.atom()
            items.append(self.quantified(atom))
        return tuple(items)

    def quantified(self, atom: _Item) -> _Item:
        bounds = self.quantifier()
        if bounds is None:
            return atom
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.take()
        low, high = bounds
        return _Item("repeat", items=(atom,), low=low, high=high)

    def quantifier(self) -> tuple[int, int | None] | None:
        char = self.peek()
        if char in ("?", "*", "+"):
            self.take()
            return {"?": (0, 1), "*": (0, None), "+": (1, None)}[char]
        found = re.match(r"\{(\d*)(,?)(\d*)\}", self.text[self.pos :])
        if char == "{" and found and (found.group(1) or found.group(3)):
            self.pos += found.end()
            low = int(found.group(1) or 0)
            high = int(found.group(3)) if found.group(3) else (None if found.group(2) else low)
            return low, high
        return None

    def atom(self) -> _Item:
        char = self.take()
        if char == "(":
            return self.group()
        if char == "[":
            return _Item("chars", chars=self.char_class())
        if char == "\\":
            return self.escape()
        if char == ".":
            return _Item("chars")
        if char == "^":
            return _Item("at", at="start")
        if char == "$":
            return _Item("at", at="other")
        return _Item("chars", chars=frozenset(char))

    def escape(self) -> _Item:
        char = self.take()
        if char in _ESCAPES_AT:
            return _Item("at", at=_ESCAPES_AT[char])
        if char in _CLASS_ESCAPES:
            return _Item("chars")
        if char.isdigit() or char in "xuUNpP":
            return _Item("opaque")  # back-references and code points: not followed
        return _Item("chars", chars=frozenset(char))

    def group(self) -> _Item:
        if self.peek() != "?":
            return self.closed(_Item("group", items=self.alternation()))
        self.take()
        head = self.peek()
        if head == ":":
            self.take()
            return self.closed(_Item("group", items=self.alternation()))
        if head in ("=", "!"):
            self.take()
            kind = "ahead" if head == "=" else "not"
            return self.closed(_Item(kind, items=self.alternation()))
        if self.peek(2) in ("<=", "<!"):
            kind = "behind" if self.take(2) == "<=" else "not"
            return self.closed(_Item(kind, items=self.alternation()))
        if self.peek(2) == "P<" or (head == "<" and self.peek(2) not in ("<=", "<!")):
            end = self.text.index(">", self.pos)
            self.pos = end + 1
            return self.closed(_Item("group", items=self.alternation()))
        flags = re.match(r"[aiLmsux-]+", self.text[self.pos :])
        if flags and self.text[self.pos + flags.end() : self.pos + flags.end() + 1] == ")":
            self.pos += flags.end() + 1
            self.global_flags = True  # flags for the whole pattern change what letters mean
            return _Item("at", at="other")
        # Scoped flags, named back-references, conditionals, atomic groups: skipped whole.
        self.skip_group()
        return _Item("opaque")

    def closed(self, item: _Item) -> _Item:
        if self.take() != ")":
            raise _Unsupported("unbalanced group")
        return item

    def skip_group(self) -> None:
        depth = 1
        while self.pos < len(self.text) and depth:
            char = self.take()
            if char == "\\":
                self.take()
            elif char == "[":
                self.char_class()
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
        if depth:
            raise _Unsupported("unbalanced group")

    def char_class(self) -> frozenset[str] | None:
        """The characters of a small class like [23] or [1-3]; None for others."""
        chars: set[str] = set()
        known = True
        if self.peek() == "^":
            self.take()
            known = False
        first = True
        while self.pos < len(self.text) and (self.peek() != "]" or first):
            first = False
            char = self.take()
            if char == "\\":
                char = self.take()
                if char in _CLASS_ESCAPES or char.isdigit() or char in "xuUNpP":
                    known = False
                    continue
            if self.peek() == "-" and self.peek(2)[1:] not in ("]", ""):
                self.take()
                end = self.take()
                if end == "\\":
                    end = self.take()
                if ord(end) - ord(char) >= 10:
                    known = False
                chars.update(map(chr, range(ord(char), ord(end) + 1)))
            else:
                chars.add(char)
        if self.take() != "]":
            raise _Unsupported("unclosed class")
        return frozenset(chars) if known else None


def parse(pattern: str) -> tuple[tuple[_Item, ...], bool] | None:
    """The parsed items and whether global inline flags were set; None when not readable."""
    parser = _Parser(pattern)
    try:
        items = parser.alternation()
    except (_Unsupported, ValueError, IndexError):
        return None
    if parser.pos != len(pattern):
        return None
    return items, parser.global_flags


# --- what a parsed pattern needs -----------------------------------------------------------------


def pattern_needs(pattern: str) -> Need | None:
    """Strings a text must hold (one of them) for `pattern` to match; None when unknown."""
    parsed = parse(pattern)
    if parsed is None or parsed[1]:
        return None  # unreadable, or flags change what letters, \b or ^ mean
    return _most_selective(_needs(parsed[0], False)[1])


def _most_selective(needs: Iterable[Need]) -> Need | None:
    """Prefer needs found by word look-up, then the longest strings."""
    return max(
        needs,
        key=lambda need: (all(at_word for _, at_word in need), min(len(s) for s, _ in need)),
        default=None,
    )


class _Run:
    """The strings matched by the items since the last one not followed, and the needs found."""

    def __init__(self, at_word: bool) -> None:
        self.needs: list[Need] = []
        self.run: set[str] = {""}
        self.at_word = at_word
        self.exact = True

    def close(self) -> None:
        if "" not in self.run:
            self.needs.append(
                frozenset((s, self.at_word and _WORD.match(s) is not None) for s in self.run)
            )
        self.run, self.at_word, self.exact = {""}, False, False

    def extend(self, strings: set[str]) -> None:
        if len(self.run) * len(strings) > _MAX_STRINGS:
            self.close()
        self.run = {a + b for a in self.run for b in strings}

    def follow(self, strings: set[str] | None) -> None:
        if strings is None:
            self.close()
        else:
            self.extend(strings)


def _needs(items: Sequence[_Item], at_word: bool) -> tuple[set[str] | None, list[Need]]:
    """For a sequence of parsed items: the exact strings it matches (None when not a small set)
    and needs that hold for any match. `at_word`: whether it starts where \\b or ^ held."""
    state = _Run(at_word)
    for item in items:
        _step(state, item)
    strings = state.run if state.exact else None
    state.close()
    return strings, state.needs


def _step(state: _Run, item: _Item) -> None:
    here = state.at_word and state.run == {""}  # a word may start here
    if item.kind == "chars":
        state.follow(None if item.chars is None else set(item.chars))
    elif item.kind == "at":
        if state.run == {""} and item.at in ("word", "start"):
            state.at_word = True
    elif item.kind == "not":
        pass  # zero width, needs nothing
    elif item.kind in ("ahead", "behind"):  # zero width, but what it looks at is in the text
        state.needs += _needs(item.items, here and item.kind == "ahead")[1]
    elif item.kind == "group":
        strings, sub_needs = _needs(item.items, here)
        state.needs += sub_needs
        state.follow(strings)
    elif item.kind == "branch":
        _branch(state, item, here)
    elif item.kind == "repeat":
        _repeat(state, item, here)
    else:
        state.close()


def _branch(state: _Run, item: _Item, here: bool) -> None:
    branches = [_needs(branch, here) for branch in item.branches]
    exact = [strings for strings, _ in branches]
    if all(strings is not None for strings in exact):
        state.extend(set().union(*(s for s in exact if s is not None)))
        return
    state.close()
    either = [_most_selective(branch_needs) for _, branch_needs in branches]
    if all(need is not None for need in either):
        state.needs.append(frozenset().union(*(n for n in either if n is not None)))


def _repeat(state: _Run, item: _Item, here: bool) -> None:
    strings, sub_needs = _needs(item.items, here)
    if item.low == item.high == 1:
        state.needs += sub_needs
        state.follow(strings)
    elif item.low == 0 and item.high == 1 and strings is not None:
        state.extend(strings | {""})
    else:
        state.close()
        if item.low >= 1:
            state.needs += sub_needs
