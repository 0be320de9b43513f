"""The databases a benchmark runs on: a new SQLite file (the embedded default), or a new schema
of a PostgreSQL server, dropped afterwards."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from peoplesync.store.db import make_engine


@contextmanager
def sqlite_file() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        try:
            yield engine
        finally:
            engine.dispose()


def in_schema(url: str, schema: str) -> str:
    """`url` with its connections' search path set to `schema` (libpq's `options`), so that
    another process (a worker, the CLI) given the URL finds the same tables."""
    return str(make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}))


@contextmanager
def postgres_schema(url: str) -> Iterator[Engine]:
    """An engine on a new schema of the server at `url`. Entering raises the driver's
    OperationalError when no server answers."""
    schema = f"peoplesync_bench_{secrets.token_hex(4)}"
    admin = make_engine(url)
    try:
        with admin.begin() as db:
            db.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(in_schema(url, schema))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.begin() as db:
                db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
