"""Structured logs (structlog) with stable dotted event names; secrets scrubbed first.

A logged exception's traceback shows where it happened and what it was, never the data in hand:
no frame's local variables (plain tracebacks, not rich ones), and no values a database error
carries. SQLAlchemy's message quotes the statement's parameters (the engines hide them too:
`hide_parameters=True` in store/db.py), and PostgreSQL's quotes the value it refused (`DETAIL:
Key (email)=(ann@…)`, `CONTEXT: COPY people, line 1, column name: "Ann…"`, `invalid input syntax
for type date: "…"`). So every exception in a logged chain is rendered through a stand-in whose
message is `safe_message`: for a database error, the driver's error class, its SQLSTATE and
constraint, its primary message up to the first ": " (where PostgreSQL puts values), and the SQL
statement (parameters are bound, so it holds placeholders). This holds for structlog's lines and
for the standard `logging` module's (Huey's "Unhandled exception in task", once
`configure_logging` has run).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
import traceback
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy.exc import StatementError

SECRET_KEYS = re.compile(r"(token|secret|password|api_key|apikey|authorization)", re.I)
REDACTED = "[redacted]"
MAX_STATEMENT = 500  # characters of a failed statement's SQL shown
STDLIB_FORMAT = "%(name)s %(message)s"
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def scrub_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any key that names a secret, whatever the caller passed."""
    for key in list(event):
        if key != "event" and SECRET_KEYS.search(key):
            event[key] = REDACTED
    return event


# --- exceptions without their data ---------------------------------------------------------


def safe_message(exc: BaseException) -> str:
    """The message of `exc`, without the values a database error quotes (others as they are)."""
    if isinstance(exc, StatementError):
        statement = " ".join((exc.statement or "").split())[:MAX_STATEMENT]
        orig = exc.orig
        inner = f"({_qualified(type(orig))}) {safe_message(orig)}" if orig is not None else ""
        return f"{inner}\n[SQL: {statement}]".strip()
    diag = getattr(exc, "diag", None)
    if diag is not None and type(exc).__module__.startswith("psycopg"):
        primary = str(getattr(diag, "message_primary", None) or "").partition(": ")[0]
        facts = [f"SQLSTATE {getattr(exc, 'sqlstate', None) or '?'}"]
        if constraint := getattr(diag, "constraint_name", None):
            facts.append(f"constraint {constraint}")
        return f"{primary or type(exc).__name__} [{', '.join(facts)}]"
    if isinstance(exc, sqlite3.Error):  # its messages name columns and constraints, no values
        return str(exc).splitlines()[0] if str(exc) else ""
    return str(exc)


def _qualified(cls: type[BaseException]) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


_STAND_IN_CLASSES: dict[type[BaseException], type[Exception]] = {}


def _stand_in_class(cls: type[BaseException]) -> type[Exception]:
    """An exception class printed as `cls` is (same module and name), with none of its code."""
    found = _STAND_IN_CLASSES.get(cls)
    if found is None:
        names = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        found = _STAND_IN_CLASSES.setdefault(cls, type(cls.__name__, (Exception,), names))
    return found


def _stand_in(exc: BaseException, seen: dict[int, BaseException]) -> BaseException:
    if id(exc) in seen:
        return seen[id(exc)]
    copy = _stand_in_class(type(exc))(safe_message(exc)).with_traceback(exc.__traceback__)
    seen[id(exc)] = copy
    if exc.__cause__ is not None:
        copy.__cause__ = _stand_in(exc.__cause__, seen)
    if exc.__context__ is not None:
        copy.__context__ = _stand_in(exc.__context__, seen)
    copy.__suppress_context__ = exc.__suppress_context__
    return copy


def format_exception(exc_info: ExcInfo) -> str:
    """The traceback of `exc_info` as text, each message through `safe_message`."""
    exc = exc_info[1]
    return "".join(traceback.format_exception(_stand_in(exc, {}))).rstrip("\n")


class SafeFormatter(logging.Formatter):
    """A standard-logging formatter whose tracebacks go through `format_exception`."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        if ei and ei[1] is not None:
            return format_exception(ei)
        return super().formatException(ei)


# --- configuration -------------------------------------------------------------------------


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is now (not the one at configuration time, which a test
    runner or an embedding host may have closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _StdlibHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler `configure_logging` installs (one, however often it runs)."""


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Console or JSON lines. Tracebacks are plain text: never the local variables of each frame
    (which rich tracebacks would print, secrets and personal data included), never the values a
    database error quotes. The standard `logging` module's records (Huey's, Alembic's) go to the
    same stream through `SafeFormatter`, at WARNING and above unless a command lowers the root
    logger's level (the worker does, for Huey's lines)."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=_console_exception)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            scrub_secrets,
            structlog.processors.ExceptionRenderer(format_exception),  # text, without data
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdlibHandler)]:
        root.removeHandler(old)
    handler = _StdlibHandler(_CurrentStderr())
    handler.setFormatter(SafeFormatter(STDLIB_FORMAT))
    root.addHandler(handler)


def _console_exception(sio: Any, exc_info: ExcInfo) -> None:
    """ConsoleRenderer's hook, should an exception reach it unrendered."""
    sio.write("\n" + format_exception(exc_info))
