"""What every request handler works with, built once at start-up (never at import)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from urllib.parse import urlsplit

import httpx
from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.crypto import SecretBox, secret_box
from peoplesync.jobs.tasks import Jobs
from peoplesync.runs.hris import HrisContext
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.factory import merge_client
from peoplesync.store.db import reading, unit_of_work


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebContext:
    """Settings, the database, the queue; `transport` and `clock` are the test seams."""

    settings: Settings
    factory: sessionmaker[Session]
    jobs: Jobs
    clock: Callable[[], datetime] = field(default=_utcnow)
    transport: httpx.BaseTransport | None = None

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any exception."""
        with unit_of_work(self.factory) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads (on SQLite: no write lock; see `store.db.reading`)."""
        with reading(self.factory) as session:
            yield session

    @cached_property
    def box(self) -> SecretBox:
        return secret_box(self.settings)

    @property
    def hris(self) -> HrisContext:
        return HrisContext(
            settings=self.settings, box=self.box, transport=self.transport, clock=self.clock
        )

    def merge_client(self, base_url: str | None = None) -> MergeClient:
        """A Merge client with the operator's API key and no linked account (Link, tokens)."""
        return merge_client(self.settings, base_url=base_url, transport=self.transport)

    @property
    def link_script_url(self) -> str:
        """Merge Link's `initialize.js`: Merge's CDN, or the sandbox's stand-in."""
        return link_script_url(self.settings)

    @property
    def link_api_base_url(self) -> str | None:
        """`tenantConfig.apiBaseURL` for Link (see `link_api_base_url`)."""
        return link_api_base_url(self.settings)


MERGE_US = "https://api.merge.dev"
MERGE_CDN_SCRIPT = "https://cdn.merge.dev/initialize.js"


def link_api_base_url(settings: Settings) -> str | None:
    """`tenantConfig.apiBaseURL` for Link: the region's host without `/api` (EU, APAC, a
    sandbox); None for Merge's US default."""
    base = settings.merge_base_url.rstrip("/").removesuffix("/api")
    return None if base == MERGE_US else base


def link_script_url(settings: Settings) -> str:
    if settings.merge_link_script_url:
        return settings.merge_link_script_url
    base = settings.merge_base_url.rstrip("/").removesuffix("/api")
    host = urlsplit(base).hostname or ""
    if host == "merge.dev" or host.endswith(".merge.dev"):
        return MERGE_CDN_SCRIPT  # Merge's one script for every region (docs/merge-facts.md)
    return f"{base}/link/initialize.js"


def link_origins(settings: Settings) -> tuple[str, ...]:
    """Where Link's script and its dialog come from (for the pages' CSP)."""
    parts = urlsplit(link_script_url(settings))
    own = f"{parts.scheme}://{parts.netloc}"
    return (own, "https://*.merge.dev") if parts.netloc.endswith("merge.dev") else (own,)


def web(request: Request) -> WebContext:
    found: WebContext = request.app.state.web
    return found
