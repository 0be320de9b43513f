"""The standing fuzz suite: a fixed seed and a bounded number of examples in CI, more with
PEOPLESYNC_FUZZ_EXAMPLES; the summary prints how many inputs each fuzz test tried."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.jobs.world import database
from tests.web.site import Site, running_site

__all__ = ["examples", "site", "tried"]

EXAMPLES = int(os.environ.get("PEOPLESYNC_FUZZ_EXAMPLES", "0") or 0)
TRIED: Counter[str] = Counter()


def examples(default: int) -> int:
    return EXAMPLES or default


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The real site, on each database (PostgreSQL rejects what SQLite stores: NUL, overflow)."""
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with database(request.param, folder) as db, running_site(folder, database_url=db.url) as found:
        yield found


@pytest.fixture
def tried(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    yield TRIED
    del request


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIED:
        terminalreporter.write_sep("-", "fuzz inputs tried")
        for name, count in sorted(TRIED.items()):
            terminalreporter.write_line(f"{name}: {count:,}")
