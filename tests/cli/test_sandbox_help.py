"""`peoplesync sandbox --help` documents the control API, and every endpoint it shows exists."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from peoplesync.cli import app
from peoplesync.sandbox.app import create_app
from peoplesync.sandbox.state import SandboxConfig

ENDPOINT = re.compile(r"^\s*(GET|POST|PATCH|DELETE)\s+(/\S+|\.\.\./\S+)", re.MULTILINE)


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def shape(path: str) -> str:
    """A path with its parameters blanked: /control/accounts/{}/employees/{}/terminate."""
    path = path.replace("...", "/control/accounts", 1)
    return re.sub(r"\{[^}]+\}|TOKEN|ID", "{}", path)


def test_the_help_shows_the_control_api_and_each_endpoint_is_served() -> None:
    result = CliRunner().invoke(app, ["sandbox", "--help"])
    assert result.exit_code == 0, result.output
    shown = {(method, shape(path)) for method, path in ENDPOINT.findall(result.output)}
    assert ("POST", "/control/accounts/{}/employees") in shown  # hiring, as the demo shows
    assert len(shown) >= 15
    paths = create_app(SandboxConfig()).openapi()["paths"]
    served = {(method.upper(), shape(path)) for path, ops in paths.items() for method in ops}
    assert shown <= served, shown - served
