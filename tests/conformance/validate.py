"""Our JSON schemas of Merge's HRIS answers (`schemas/*.json`, written from Merge's definition;
see docs/merge-facts.md) and a validator that says where an answer breaks them."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://peoplesync.example/schemas/merge/"
# RFC 3339 date-time: "T"/"t" and "Z"/"z" in either case, optional fraction, or an offset.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC3339.match(value))


@cache
def _registry() -> Registry[Any]:
    resources = [
        (BASE + path.name, Resource.from_contents(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    schema = _registry().contents(BASE + name)
    return Draft202012Validator(schema, registry=_registry(), format_checker=FORMATS)


def problems(name: str, document: object) -> list[str]:
    """Every way `document` breaks schema `name`, each with the JSON path where it happens."""
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator(name).iter_errors(document), key=lambda e: e.json_path)
    ]


def assert_conforms(name: str, document: object) -> None:
    found = problems(name, document)
    assert not found, f"{name}: " + "; ".join(found[:10])
