"""Errors by layer. Only the CLI and notebooks turn these into messages for people."""


class AuditError(Exception):
    """Base of every error auditlib raises on purpose."""


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
