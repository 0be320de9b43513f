"""Look for values everywhere peoplesync keeps things: every text column of every table (JSON
included), the task queue, and captured logs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import redis
from sqlalchemy import JSON, String, Text, cast, select

from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.sources.merge.fields import enum_label
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Base
from tests.jobs.world import REDIS_URL, World


@dataclass(frozen=True)
class Secrets:
    """The values that must not be kept: substrings (dates) and whole words (demographics)."""

    substrings: frozenset[str]
    words: frozenset[str]

    def found_in(self, text: str) -> list[str]:
        hits = [s for s in self.substrings if s in text]
        hits += [w for w in self.words if f'"{w}"' in text or f"'{w}'" in text or text == w]
        return hits


def sandbox_secrets(sandbox: SandboxServer, company: SandboxAccount) -> Secrets:
    """Every birth date and gender the sandbox company has, as Merge serves them."""
    headers = {
        "Authorization": f"Bearer {sandbox.api_key}",
        "X-Account-Token": company.account_token,
    }
    dates: set[str] = set()
    words: set[str] = set()
    cursor = None
    with httpx.Client(base_url=sandbox.base_url + "/", headers=headers) as http:
        while True:
            params = {"page_size": "100", **({"cursor": cursor} if cursor else {})}
            body = http.get("hris/v1/employees", params=params).json()
            for employee in body["results"]:
                if employee.get("date_of_birth"):
                    dates.add(str(employee["date_of_birth"])[:10])
                if employee.get("gender"):
                    words.add(str(enum_label(employee["gender"])))
            cursor = body["next"]
            if not cursor:
                break
    assert len(dates) > 10
    assert words
    return Secrets(frozenset(dates), frozenset(words))


def database_hits(world: World, secrets: Secrets) -> list[str]:
    """'table.column: value' for every text cell holding a secret."""
    hits = []
    with unit_of_work(world.factory) as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text | JSON):
                    continue
                expr = cast(column, Text) if isinstance(column.type, JSON) else column
                for value in session.scalars(select(expr).where(column.is_not(None))):
                    hits += [
                        f"{table.name}.{column.name}: {h}" for h in secrets.found_in(str(value))
                    ]
    return hits


def queue_hits(world: World, secrets: Secrets) -> list[str]:
    if world.settings.queue_backend == "sqlite":
        path = world.settings.queue_sqlite_path
        blobs: Iterable[bytes] = [path.read_bytes()] if path.exists() else []
    else:
        client = redis.Redis.from_url(REDIS_URL)
        keys = client.keys(f"huey.*{world.queue_name}*")
        blobs = [str(client.dump(k)).encode() for k in keys]
    return [h for blob in blobs for h in secrets.found_in(blob.decode("latin-1"))]


def log_hits(events: Iterable[Mapping[str, Any]], text: str, secrets: Secrets) -> list[str]:
    rendered = [repr(e) for e in events] + [text]
    return [h for line in rendered for h in secrets.found_in(line)]
