"""The README stays honest: every `peoplesync ...` command it shows exists (its --help answers),
and every `make` target it names is in the Makefile."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from peoplesync.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COMMAND_WORD = re.compile(r"^[a-z][a-z_-]*$")


def _code() -> list[str]:
    """The README's code: lines of fenced blocks, and inline `...` spans."""
    found, fenced = [], False
    for line in README.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            found.append(line)
        else:
            found += re.findall(r"`([^`]+)`", line)
    return found


def _shown(tool: str) -> list[str]:
    """The command paths of `tool` in the README's code, e.g. 'accounts create'."""
    found: dict[str, None] = {}
    for code in _code():
        if not code.startswith(tool + " "):
            continue
        words: list[str] = []
        for word in code.split("#")[0].split()[1:]:
            if not COMMAND_WORD.match(word) or len(words) == 2:
                break
            words.append(word)
        if words:
            found[" ".join(words)] = None
    return list(found)


COMMANDS = _shown("peoplesync")
TARGETS = [t.split()[0] for t in _shown("make")]


def test_the_readme_shows_commands_and_targets() -> None:
    assert {"demo", "serve", "sync", "connect justworks", "logins create"} <= set(COMMANDS)
    assert TARGETS[:2] == ["run", "test"]  # the README opens with these two


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    """The CLI configures logging for its process; in-process here, undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_in_the_readme_exists(command: str) -> None:
    words = command.split()
    runner = CliRunner()
    result = runner.invoke(app, [*words, "--help"])
    if result.exit_code != 0 and len(words) == 2:  # the second word was an argument
        result = runner.invoke(app, [words[0], "--help"])
    assert result.exit_code == 0, (command, result.output)
    assert "Usage" in result.output


def test_every_make_target_in_the_readme_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    defined = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    assert set(TARGETS) <= defined, set(TARGETS) - defined
