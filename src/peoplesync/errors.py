"""The one error tree of peoplesync.

    PeoplesyncError                     message + hint (what to do next), transient?, http status
    ├── AuthenticationError             401  not signed in, a wrong password, a bad token
    ├── NotFoundError                   404  no such account, person, run (or not yours)
    ├── PermissionDeniedError           403  signed in, but not allowed
    ├── ConflictError                   409
    │   ├── StalePlanError                   the directory changed since the plan was made
    │   ├── RunActiveError                   the account already has an active run
│   │   └── ReviewWaitingError           ... and it waits for review (open it, or replace it)
    │   ├── RunCancelledError                an admin cancelled the run while it worked
    │   └── InitialSyncInProgressError       the provider's first sync is still running
    ├── InputError                      422  bad input, with where (record / field / line)
    │   ├── CsvFormatError                   a malformed CSV file (line number)
    │   └── WorkbookFormatError              a workbook that cannot be read (sheet, row, cell)
    ├── ImportBlockedError              422  validation errors or a guard stop the import
    ├── RateLimitedError                429  too many failed attempts lately     (transient)
    ├── SourceError                     502  the HRIS (through Merge) failed us
    │   ├── SourceUnavailableError           timeouts, 5xx, 429 after retries      (transient)
    │   ├── ReconnectNeededError             401/403: the connection must be redone
    │   └── ProviderProtocolError            an answer that is not what the API promises
    └── ConfigError                     500  settings that cannot work

Retries are decided from `transient` alone. Each error maps to an HTTP status and an admin message
here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class PeoplesyncError(Exception):
    """Base of every error we raise on purpose. `str(err)` is the admin message."""

    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "error"
    transient: ClassVar[bool] = False

    def __init__(self, message: str, *, hint: str | None = None, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context: Mapping[str, object] = context

    def admin_message(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        """The one JSON error shape: {"error": {"code", "message", "hint", "context"}}."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.context:
            body["context"] = {k: _jsonable(v) for k, v in self.context.items()}
        return {"error": body}


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


class AuthenticationError(PeoplesyncError):
    http_status = 401
    code = "unauthenticated"


class NotFoundError(PeoplesyncError):
    http_status = 404
    code = "not_found"


class PermissionDeniedError(PeoplesyncError):
    http_status = 403
    code = "forbidden"


class ConflictError(PeoplesyncError):
    http_status = 409
    code = "conflict"


class StalePlanError(ConflictError):
    code = "stale_plan"


class RunActiveError(ConflictError):
    code = "run_active"


class ReviewWaitingError(RunActiveError):
    """A sync was asked for while another waits for review: open that one, or replace it."""

    code = "review_waiting"


class RunCancelledError(ConflictError):
    code = "run_cancelled"


class InitialSyncInProgressError(ConflictError):
    code = "initial_sync_in_progress"


class InputError(PeoplesyncError):
    http_status = 422
    code = "invalid_input"


class CsvFormatError(InputError):
    code = "invalid_csv"

    def __init__(self, message: str, *, line: int | None = None, hint: str | None = None) -> None:
        where = f"Line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}", hint=hint, line=line)
        self.line = line


class WorkbookFormatError(InputError):
    code = "invalid_workbook"

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        sheet: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"Sheet '{sheet}', row {row}: " if sheet and row else f"Row {row}: " if row else ""
        super().__init__(f"{where}{message}", hint=hint, row=row, sheet=sheet)
        self.row = row


class ImportBlockedError(PeoplesyncError):
    http_status = 422
    code = "import_blocked"


class RateLimitedError(PeoplesyncError):
    http_status = 429
    code = "rate_limited"
    transient = True


class SourceError(PeoplesyncError):
    http_status = 502
    code = "source_error"


class SourceUnavailableError(SourceError):
    code = "source_unavailable"
    transient = True


class ReconnectNeededError(SourceError):
    code = "reconnect_needed"


class ProviderProtocolError(SourceError):
    code = "provider_protocol_error"


class ConfigError(PeoplesyncError):
    code = "config_error"
