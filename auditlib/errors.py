"""Errors by layer. Only the CLI and notebooks turn these into messages for people."""


class AuditError(Exception):
    """Base of every error auditlib raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: in a notebook, one message, in red
        return [f"\x1b[1;31m{line}\x1b[0m" for line in str(self).splitlines() or [type(self).__name__]]


class TargetError(AuditError):
    """The audit target cannot be used (not a directory, not a git repository, unreachable URL)."""


class RubricError(AuditError):
    """The rubric in checklists/ is malformed."""


class AnswersError(AuditError):
    """The auditor's answers file is malformed."""


class RunError(AuditError):
    """Running or exporting the workbook failed."""


class OutputError(AuditError):
    """An output file or folder cannot be written (a device, a directory, disk full, no permission)."""
