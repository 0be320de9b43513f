"""The core is pure: no module of `peoplesync.core` imports the database, the network, the web
framework or any other part of peoplesync (it is what the property tests can reach)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import peoplesync.core

CORE = Path(peoplesync.core.__file__).parent
FORBIDDEN = ("sqlalchemy", "httpx", "fastapi", "starlette", "huey", "redis", "psycopg", "alembic")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_a_core_module_imports_only_the_core_and_plain_libraries(path: Path) -> None:
    imported = _imports(path)
    ours = {name for name in imported if name.startswith("peoplesync")}
    assert all(name.startswith("peoplesync.core") for name in ours), ours
    assert not {name for name in imported if name.split(".")[0] in FORBIDDEN}


def test_the_check_sees_the_core() -> None:
    assert len(list(CORE.glob("*.py"))) >= 8
    assert "peoplesync.core.employee" in _imports(CORE / "plan.py")
