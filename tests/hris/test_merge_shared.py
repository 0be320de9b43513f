"""A full walk lists the shared relations once and has Merge expand only the employments (issue
16): against the sandbox, every mapped field reads the same as from Merge's own expansion, with
half the bytes; an id the lists lack is retrieved once; one Merge does not have stays an id."""

from __future__ import annotations

from typing import Any

import httpx

from peoplesync.core.mapping import FieldMapping
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND, MergeClient
from peoplesync.sources.merge.fetch import fetch_employees
from peoplesync.sources.merge.fields import FIELDS
from peoplesync.sources.merge.mapping import EmployeeMapper
from peoplesync.sources.merge.shared import SHARED, WALK_EXPAND, SharedObjects
from peoplesync.sources.merge.source import MergeSource

SIZE = 240
EVERY_FIELD = FieldMapping({f.key: f"d {f.key}" for f in FIELDS})  # each demographic its own


class Recording(httpx.HTTPTransport):
    """The real transport, keeping what was asked and how many bytes came back."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[httpx.URL] = []
        self.bytes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.asked.append(request.url)
        self.bytes += len(response.content)
        return response


def _client(
    sandbox: SandboxServer, token: str, transport: httpx.BaseTransport | None = None
) -> MergeClient:
    return MergeClient(sandbox.base_url, sandbox.api_key, token, page_size=25, transport=transport)


def _listed(client: MergeClient) -> dict[str, dict[str, dict[str, Any]]]:
    """Each shared model's objects by id, as `SharedObjects.fetch` lists them."""
    return {
        key: {o["id"]: o for o in client.list_objects(model, params)}
        for key, (model, params) in SHARED.items()
    }


def _by_id(records: Any) -> dict[str, Any]:
    return {str(r.source_id): r for r in records}


def test_a_full_walk_maps_every_field_as_merges_expansion_with_half_the_bytes(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=31, size=SIZE, initial_sync_seconds=0).account_token
    expanded, listed = Recording(), Recording()
    with _client(sandbox, token, expanded) as client:
        merges = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD)
    with _client(sandbox, token, listed) as client:
        shared = SharedObjects.fetch(client)
        ours = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD, shared=shared)
    assert len(ours.records) == SIZE
    assert _by_id(ours.records) == _by_id(merges.records)
    filled = {name for r in ours.records for name in r.demographics}
    for key in ("team", "group:DEPARTMENT", "work_location", "company", "job_title"):
        assert f"d {key}" in filled  # the shared relations were read, not skipped as ids
    pages = [u for u in listed.asked if u.path.endswith("/employees")]
    assert pages
    assert {u.params["expand"] for u in pages} == {WALK_EXPAND}
    assert {u.params["expand"] for u in expanded.asked} == {EMPLOYEE_EXPAND}
    lists = {u.path.rsplit("/", 1)[-1] for u in listed.asked} - {"employees"}
    assert lists == {model for model, _ in SHARED.values()}
    located = {u.params.get("location_type") for u in listed.asked if "locations" in u.path}
    assert located == {"WORK"}
    listing = [u for u in listed.asked if not u.path.endswith("/employees")]
    assert {u.params.get("include_deleted_data") for u in listing} == {"true"}  # still named
    assert shared.retrieved == 0
    assert listed.bytes < 0.7 * expanded.bytes


def test_an_id_the_lists_lack_is_retrieved_once_and_read_the_same(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=32, size=SIZE, initial_sync_seconds=0).account_token
    with _client(sandbox, token) as client:
        merges = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD)
        listed = _listed(client)
        groups, locations = listed["groups"], listed["work_location"]
        # The departments and a work location created after the lists were read, as it were.
        held = {g for g, group in groups.items() if group.get("type") == "DEPARTMENT"}
        partial = SharedObjects(
            {
                **listed,
                "groups": {g: group for g, group in groups.items() if g not in held},
                "work_location": dict(list(locations.items())[1:]),
            }
        )
        recording = Recording()
    with _client(sandbox, token, recording) as client:
        ours = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD, shared=partial)
    assert _by_id(ours.records) == _by_id(merges.records)
    retrieved = [u.path for u in recording.asked if not u.path.endswith(("/employees",))]
    assert len(retrieved) == partial.retrieved == len(held) + 1  # each once, however often named
    assert len(set(retrieved)) == len(retrieved)


def test_an_id_merge_does_not_have_stays_an_id_and_is_asked_for_once(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=33, size=20, initial_sync_seconds=0).account_token
    recording = Recording()
    gone = "00000000-0000-4000-8000-000000000000"
    with _client(sandbox, token, recording) as client:
        shared = SharedObjects.fetch(client)
        asked = len(recording.asked)
        first = {"id": "e1", "groups": [gone], "company": gone, "work_location": None}
        second = {"id": "e2", "groups": [gone, {"id": "x", "name": "As sent"}], "company": gone}
        shared.expand(first, client)
        shared.expand(second, client)
    assert first == {"id": "e1", "groups": [gone], "company": gone, "work_location": None}
    assert second["groups"] == [gone, {"id": "x", "name": "As sent"}]  # objects kept as sent
    assert len(recording.asked) - asked == 2  # the group once, the company once
    assert shared.retrieved == 2


def test_a_windowed_first_read_uses_the_lists_and_an_incremental_one_merges_expansion(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=34, size=SIZE, initial_sync_seconds=0).account_token
    transports: list[Recording] = []

    def client() -> MergeClient:
        transports.append(Recording())
        return _client(sandbox, token, transports[-1])

    def source(modified_after: Any, windows: int) -> MergeSource:
        return MergeSource(
            client(),
            name="Justworks",
            supported=None,
            redacted=frozenset(),
            modified_after=modified_after,
            windows=windows,
            client_for=client,
            mapping=EVERY_FIELD,
        )

    windowed = source(None, 4).read()
    with _client(sandbox, token) as plain:
        merges = fetch_employees(plain, modified_after=None, mapping=EVERY_FIELD)
    assert _by_id(windowed.snapshot.records) == _by_id(merges.records)
    employee_pages = [u for t in transports for u in t.asked if u.path.endswith("/employees")]
    windows = [
        u for u in employee_pages if "created_after" in u.params or "created_before" in u.params
    ]
    assert windows
    assert {u.params["expand"] for u in windows} == {WALK_EXPAND}
    transports.clear()
    since = windowed.started_at
    source(since, 1).read()
    asked = [u for t in transports for u in t.asked]
    assert {u.path.rsplit("/", 1)[-1] for u in asked} == {"employees"}  # no lists
    assert {u.params["expand"] for u in asked} == {EMPLOYEE_EXPAND}


REFUSED = {"teams": 403, "companies": 404}


class Refusing(Recording):
    """The real transport, but Merge refuses the lists of some models (an integration or its
    scopes without them): 403 for teams, 404 for companies."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        model = request.url.path.rsplit("/", 1)[-1]
        if status := REFUSED.get(model):
            self.asked.append(request.url)
            return httpx.Response(status, json={"detail": "Not offered."})
        return super().handle_request(request)


def test_a_list_merge_refuses_leaves_that_relation_to_merges_expansion(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=35, size=120, initial_sync_seconds=0).account_token
    with _client(sandbox, token) as client:
        merges = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD)
    refusing = Refusing()
    with _client(sandbox, token, refusing) as client:
        shared = SharedObjects.fetch(client)
        ours = fetch_employees(client, modified_after=None, mapping=EVERY_FIELD, shared=shared)
    assert shared.walk_expand == "employments,company,team"
    assert _by_id(ours.records) == _by_id(merges.records)
    assert {r.demographics.get("d company") for r in ours.records} != {None}
    pages = [u for u in refusing.asked if u.path.endswith("/employees")]
    assert {u.params["expand"] for u in pages} == {"employments,company,team"}
    assert shared.retrieved == 0  # nothing asked of the refused models one by one


def test_a_deleted_object_an_employee_still_names_is_listed_and_skipped_as_merge_shows_it(
    sandbox: SandboxServer,
) -> None:
    token = sandbox.control.create_company(seed=36, size=30, initial_sync_seconds=0).account_token
    recording = Recording()
    with _client(sandbox, token, recording) as client:
        listed = _listed(client)
        groups = listed["groups"]
        raw = next(client.iter_employee_pages(expand=WALK_EXPAND))[0]
        department = next(g for g in raw["groups"] if groups[g].get("type") == "DEPARTMENT")
        # Deleted upstream since, as Merge lists it with include_deleted_data (and expands it).
        gone = {**groups[department], "remote_was_deleted": True}
        shared = SharedObjects({**listed, "groups": {**groups, department: gone}})
        asked = len(recording.asked)
        ours = dict(raw)
        shared.expand(ours, client)
    assert len(recording.asked) == asked  # in the list: no request of its own
    merges = {**ours, "groups": [groups[g] if g != department else gone for g in raw["groups"]]}
    mapper = EmployeeMapper(mapping=EVERY_FIELD)
    mapped = mapper(ours, [])
    assert mapped is not None
    assert mapped == mapper(merges, [])
    assert "d group:DEPARTMENT" not in mapped.demographics  # a deleted group is no department
    assert "d company" in mapped.demographics
