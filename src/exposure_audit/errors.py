"""Errors that stop an audit. The CLI turns them into one line on stderr and exit code 2."""

from __future__ import annotations


class ExposureAuditError(Exception):
    """Base of every error a user can cause and fix.

    `message` says what went wrong and where; `hint` says what to do about it.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class BomReadError(ExposureAuditError):
    """The BOM file cannot be read or has no usable table."""


class ReferenceDataError(ExposureAuditError):
    """Reference or policy tables are invalid; `problems` lists every one found."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message, hint)
        self.problems = problems or []


class OutputError(ExposureAuditError):
    """A report cannot be written where the user asked."""


class UsageError(ExposureAuditError):
    """Options that contradict each other or name things that do not exist."""


class StrictModeError(ExposureAuditError):
    """`--strict` and the BOM has error-level row issues."""
