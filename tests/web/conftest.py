"""Fixtures of the web tests: a whole running site per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.site import Site, running_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("site")) as found:
        yield found
