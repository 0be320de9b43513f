"""Fixtures of the web tests: a whole running site per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peoplesync.cli.demo import sample_path
from tests.web.site import Site, running_site
from tests.web.tenants import CSV_WITH_HOSTILE_NAME, Tenant, make_tenant


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("site")) as found:
        yield found


@pytest.fixture(scope="module")
def tenants(site: Site) -> tuple[Tenant, Tenant]:
    a = make_tenant(site, "Acme", sample_path("acme-1.csv").read_bytes(), "ada@acme.example")
    b = make_tenant(site, "Beta", CSV_WITH_HOSTILE_NAME.encode(), "bea@beta.example")
    return a, b
