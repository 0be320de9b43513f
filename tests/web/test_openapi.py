"""The API's document describes every answer: each route has a response model (issue 10), the
errors' one shape is documented, and a person's fields come from the field schema."""

from __future__ import annotations

from typing import Any

from peoplesync.core.fields import VALUE_NAMES
from tests.web.site import Site

SUCCESS = {"200", "201", "202"}


def document(site: Site) -> dict[str, Any]:
    answer = site.client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def test_every_route_describes_its_answer_and_its_errors(site: Site) -> None:
    paths = document(site)["paths"]
    assert len(paths) >= 25
    for path, methods in paths.items():
        for method, operation in methods.items():
            responses = operation["responses"]
            (ok,) = SUCCESS & responses.keys()
            schema = responses[ok]["content"]["application/json"]["schema"]
            assert "$ref" in schema, f"{method.upper()} {path} answers without a model"
            assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorOut"
            )


def test_a_person_has_every_core_field_of_the_schema(site: Site) -> None:
    schemas = document(site)["components"]["schemas"]
    assert set(VALUE_NAMES) <= schemas["PersonRowOut"]["properties"].keys()
    assert set(VALUE_NAMES) <= schemas["PersonOut"]["properties"].keys()
