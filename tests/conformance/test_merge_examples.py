"""Merge's own example payloads (as facts) fit our schemas and go through our mapping."""

from __future__ import annotations

import copy

import pytest

from peoplesync.sources.merge.client import AccountDetails, MergeClient
from peoplesync.sources.merge.mapping import map_employee
from peoplesync.sources.merge.status import employee_sync_state, parse_sync_statuses
from tests.conformance import merge_examples as merge
from tests.conformance.validate import assert_conforms, problems


@pytest.mark.parametrize(
    ("schema", "example"),
    [
        ("employee_page.json", merge.EMPLOYEE_PAGE),
        ("employee.json", merge.EMPLOYEE_EXPANDED),
        ("group.json", merge.GROUP_TEAM),
        ("employment.json", merge.EMPLOYMENT),
        ("team.json", merge.TEAM),
        ("location.json", merge.LOCATION),
        ("company.json", merge.COMPANY),
        ("sync_status_page.json", merge.SYNC_STATUS_PAGE),
        ("account_details.json", merge.ACCOUNT_DETAILS),
        ("available_actions.json", merge.AVAILABLE_ACTIONS),
        ("link_token.json", merge.LINK_TOKEN),
        ("account_token.json", merge.ACCOUNT_TOKEN),
        ("webhook_sync_completed.json", merge.SYNC_COMPLETED),
        ("webhook_linked.json", merge.LINKED),
    ],
)
def test_merge_examples_fit_our_schemas(schema: str, example: object) -> None:
    assert_conforms(schema, example)


def test_the_schemas_refuse_a_renamed_field_a_wrong_type_and_a_bad_date() -> None:
    renamed = copy.deepcopy(merge.EMPLOYEE_AS_IDS)
    renamed["work_mail"] = renamed.pop("work_email")
    assert any(
        "'work_email' is a required property" in p for p in problems("employee.json", renamed)
    )
    wrong = merge.SYNC_STATUS_PAGE["results"][0] | {"is_initial_sync": "yes"}
    assert problems("sync_status.json", wrong) == [
        "$.is_initial_sync: 'yes' is not of type 'boolean'"
    ]
    bad_date = merge.EMPLOYEE_AS_IDS | {"start_date": "11/10/2020"}
    assert problems("employee.json", bad_date)
    lower_z = merge.EMPLOYEE_AS_IDS | {"start_date": "2020-10-11t00:00:00z"}
    assert problems("employee.json", lower_z) == []  # RFC 3339 allows both cases


def test_unknown_enum_values_and_null_items_are_legal() -> None:
    """Every Merge enum field is the enum or any string; list items may be null."""
    odd = merge.EMPLOYEE_EXPANDED | {"gender": "NOT_LISTED", "employment_status": "ON_LEAVE"}
    assert_conforms("employee.json", odd)
    assert_conforms("sync_status.json", merge.SYNC_STATUS_PAGE["results"][0] | {"status": "NEW"})


@pytest.mark.parametrize("example", [merge.EMPLOYEE_AS_IDS, merge.EMPLOYEE_EXPANDED])
def test_merge_examples_go_through_our_mapping(example: dict[str, object]) -> None:
    live = example | {"remote_was_deleted": False}
    mapped = map_employee(live)
    assert mapped is not None
    assert mapped.source_id == example["id"]
    assert mapped.email == "greg@merge.dev"
    assert mapped.employee_id == "2"
    assert str(mapped.start_date) == "2020-10-11"
    assert str(mapped.birth_date) == "1990-11-10"
    assert map_employee(example | {"remote_was_deleted": True}) is None


def test_merge_sync_status_example_is_an_initial_sync_not_ready() -> None:
    state = employee_sync_state(parse_sync_statuses(merge.SYNC_STATUS_PAGE["results"]))
    assert state.phase == "initial_sync"
    assert not state.ready
    assert not state.fresh


def test_merge_account_details_example_parses(merge_client: MergeClient) -> None:
    details = merge_client.account_details()
    assert details == AccountDetails(
        id="0496d4c2-42e6-4072-80b3-7b69bfdc76fd",
        status="COMPLETE",
        integration="BambooHR",
        integration_slug="bamboohr",
        category="hris",
        end_user_origin_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        end_user_organization_name="Waystar Royco",
        end_user_email_address="kendall.roy@waystar-royco.com",
        account_type="PRODUCTION",
        completed_at="2024-08-26T20:11:19Z",
    )
    assert details.complete
    assert not details.relink_needed


# Facts of Merge's model that the mapping follows (docs/merge-facts.md).


def test_the_legal_name_is_first_and_last_not_the_display_name() -> None:
    mapped = map_employee(merge.EMPLOYEE_AS_IDS | {"remote_was_deleted": False})
    assert mapped is not None
    assert mapped.name == "Greg Hirsch"


def test_a_date_only_field_keeps_its_calendar_date_at_a_positive_offset() -> None:
    raw = merge.EMPLOYEE_AS_IDS | {"remote_was_deleted": False}
    mapped = map_employee(raw | {"start_date": "2021-03-02T00:00:00+09:00"})
    assert mapped is not None
    assert str(mapped.start_date) == "2021-03-02"


def test_a_lower_case_z_is_a_date_like_any_other() -> None:
    raw = merge.EMPLOYEE_AS_IDS | {"remote_was_deleted": False}
    mapped = map_employee(raw | {"start_date": "2020-10-11T00:00:00z"})
    assert mapped is not None
    assert str(mapped.start_date) == "2020-10-11"
