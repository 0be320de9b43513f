"""The house's floors, enforced: which package of peoplesync may import which.

Each package may import only the packages of the floors below it (and plain libraries); the pure
core imports nothing of ours but itself and the error tree, and no IO library at all (it is what
the property tests can reach). A new import that crosses the table fails here: move the code to
the floor where it belongs, or change the table on purpose.

    floor 6  cli                          the command line (serves the web app, runs the sandbox)
    floor 5  web                          pages and the JSON API
    floor 4  jobs                         Huey wiring: tasks, the queue, the schedule, webhooks in
    floor 3  runs                         the sync use case and its stages
    floor 2  notify, people, redaction    emails and webhooks out; the directory; redaction
    floor 1  accounts, access, connections   accounts and their settings; logins; HRIS links
    floor 0  store, sources, sandbox, crypto, core, errors, config, logs, serving
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import peoplesync
import peoplesync.core

ROOT = Path(peoplesync.__file__).parent
CORE = Path(peoplesync.core.__file__).parent

BASE = frozenset({"errors", "config", "logs"})
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"errors"}),  # the one error tree is plain Python
    "errors": frozenset(),
    "config": frozenset(),
    "logs": frozenset(),
    "serving": frozenset(),
    "crypto": BASE,
    "store": frozenset({"core"}) | BASE,
    "sources": frozenset({"core"}) | BASE,
    "sandbox": frozenset({"serving"}) | BASE,
}
FLOOR_1 = frozenset({"store", "sources", "crypto", "core"}) | BASE
ALLOWED |= dict.fromkeys(("accounts", "access", "connections"), FLOOR_1)
FLOOR_2 = FLOOR_1 | {"accounts", "access", "connections"}
ALLOWED |= dict.fromkeys(("notify", "people", "redaction"), FLOOR_2)
ALLOWED["runs"] = FLOOR_2 | {"notify", "people", "redaction"}
ALLOWED["jobs"] = ALLOWED["runs"] | {"runs"}
ALLOWED["web"] = ALLOWED["jobs"] | {"jobs"}
ALLOWED["cli"] = ALLOWED["web"] | {"web", "sandbox", "serving"}
ALLOWED["__main__"] = frozenset({"cli"})
ALLOWED["__init__"] = frozenset()  # the package's face
ALLOWED["samples"] = frozenset()  # sample files
IO_LIBRARIES = (
    "sqlalchemy",
    "httpx",
    "fastapi",
    "starlette",
    "huey",
    "redis",
    "psycopg",
    "alembic",
)


def package_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found


def crossings(package: str, imported: set[str]) -> set[str]:
    """The packages of ours a module of `package` imports that it may not."""
    ours = {m.split(".")[1] for m in imported if m.startswith("peoplesync.")}
    return ours - ALLOWED[package] - {package}


MODULES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_from_the_floors_below_its_own(path: Path) -> None:
    package = package_of(path)
    assert package in ALLOWED, f"{package} is not in the table of floors"
    crossed = crossings(package, imports(path))
    assert not crossed, f"{package} may not import {sorted(crossed)}"


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_no_io_library(path: Path) -> None:
    assert not {name for name in imports(path) if name.split(".")[0] in IO_LIBRARIES}


def test_the_table_has_no_circle() -> None:
    def below(package: str, seen: frozenset[str]) -> None:
        assert package not in seen, f"a circle through {package}"
        for lower in ALLOWED.get(package, frozenset()):
            below(lower, seen | {package})

    for package in ALLOWED:
        below(package, frozenset())


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    """An upward import (the store reaching into the sync use case) is a crossing."""
    store = ROOT / "store" / "db.py"
    assert crossings("store", imports(store)) == set()
    bad = tmp_path / "db.py"
    bad.write_text(store.read_text() + "\nfrom peoplesync.runs.sync import Syncs\n")
    assert crossings("store", imports(bad)) == {"runs"}
    assert crossings("core", {"peoplesync.store.db", "peoplesync.core.plan"}) == {"store"}
    assert len(MODULES) > 80
