"""auditlib: audit an AI prototype's repository for production readiness, without running its code."""

__version__ = "0.1.0"

from .audit import AuditResult, audit  # noqa: E402  (not `collect`: it would shadow the subpackage)
from .context import AuditContext  # noqa: E402
from .errors import AnswersError, AuditError, RubricError, RunError, TargetError  # noqa: E402
from .rubric import load_rubric  # noqa: E402

__all__ = ["AuditContext", "AuditResult", "audit", "load_rubric", "AuditError",
           "TargetError", "RubricError", "AnswersError", "RunError", "__version__"]
