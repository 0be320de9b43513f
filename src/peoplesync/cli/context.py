"""What every command shares: settings, the engine (built on first use), units of work, errors."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ParamSpec, TypeVar

import typer
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.crypto import SecretBox, secret_box
from peoplesync.errors import (
    ConfigError,
    CsvFormatError,
    ImportBlockedError,
    InputError,
    NotFoundError,
    PeoplesyncError,
)
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.sync import Syncs
from peoplesync.store.db import alembic_config, make_engine, session_factory, unit_of_work

# Exit codes (documented in `peoplesync --help`).
EXIT_OK = 0  # applied, or nothing to do
EXIT_BLOCKED = 1  # validation errors (or a guard) blocked the import
EXIT_USAGE = 2  # a value the command cannot take (Typer's own usage errors exit 2 too)
EXIT_FAILED = 3  # the source, the file or the database failed; or a conflict
EXIT_DECLINED = 4  # the admin said no at the confirmation
EXIT_NOT_FOUND = 5

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._factory: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(
                self.settings.database_url,
                pool_size=self.settings.database_pool_size,
                max_overflow=self.settings.database_max_overflow,
            )
        return self._engine

    def ready_engine(self) -> Engine:
        """The engine, once we know the schema is current (else: run `peoplesync init`)."""
        engine = self.engine
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current != head:
            raise ConfigError(
                "The database is not set up for this version of peoplesync.",
                hint="Run `peoplesync init` first.",
            )
        return engine

    def factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = session_factory(self.ready_engine())
        return self._factory

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with unit_of_work(self.factory()) as session:
            yield session

    @cached_property
    def box(self) -> SecretBox:
        return secret_box(self.settings)

    def hris(self) -> HrisContext:
        return HrisContext(settings=self.settings, box=self.box, clock=utcnow)

    def syncs(self) -> Syncs:
        """The sync use case, its emails and webhooks sent from this process."""
        return Syncs.in_process(self.factory(), self.hris())


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # pragma: no cover - the callback always sets it
        raise RuntimeError("CLI state missing")
    return obj


def utcnow() -> datetime:
    return datetime.now(UTC)


def exit_code_for(error: PeoplesyncError) -> int:
    """The README's table: 1 blocked, 2 a usage error (a value the command cannot take), 3 failed
    (a file, the source, the database, a conflict), 5 not found."""
    if isinstance(error, ImportBlockedError):
        return EXIT_BLOCKED
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, CsvFormatError):
        return EXIT_FAILED
    if isinstance(error, InputError):
        return EXIT_USAGE
    return EXIT_FAILED


def show_error(error: PeoplesyncError, *, as_json: bool = False) -> None:
    if as_json:
        sys.stdout.write(json.dumps(error.to_dict(), indent=2) + "\n")
        return
    err.print(f"[bold red]Error:[/] {escape(error.message)}")
    if error.hint:
        err.print(f"[yellow]What to do:[/] {escape(error.hint)}")


P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Our errors become a clear message and an exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PeoplesyncError as error:
            show_error(error, as_json=bool(kwargs.get("as_json")))
            raise typer.Exit(exit_code_for(error)) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
