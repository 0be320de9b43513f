"""Merge's example payloads, as facts: the field names, types, enum values and envelopes of the
examples in Merge's HRIS definition (`merge-api/merge-node-client`, `.mock/definition/hris/`
at e38be558) and its wire tests, written out here as our own test data. Where Merge's example
shows one form of a union (an id where an object may be expanded), a second example shows the
other form, with the fields of the definition's model.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

TAIL: Json = {
    "remote_was_deleted": False,
    "field_mappings": {
        "organization_defined_targets": {"custom_key": "custom_value"},
        "linked_account_defined_targets": {"custom_key": "custom_value"},
    },
    "remote_data": [{"path": "/people", "data": ["Varies by platform"]}],
}

# employees.yml, the list example: ids where objects may be expanded, every date at `...Z`,
# a display name that is not first + last, ACTIVE with a termination date, deleted upstream.
EMPLOYEE_AS_IDS: Json = {
    "id": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "employee_number": "2",
    "company": "8d9fd929-436c-4fd4-a48b-0c61f68d6178",
    "first_name": "Greg",
    "last_name": "Hirsch",
    "preferred_name": "Greg the egg",
    "display_full_name": "Cousin Greg Hirsch",
    "username": "cousingreg",
    "groups": ["21a54124-397f-494d-985e-3c5b330b8a68"],
    "work_email": "greg@merge.dev",
    "personal_email": "greg@gmail.com",
    "mobile_phone_number": "+1234567890",
    "employments": ["17a54124-287f-494d-965e-3c5b330c9a68"],
    "home_location": "d2f972d0-2526-434b-9409-4c3b468e08f0",
    "work_location": "9efbc633-3387-4306-aa55-e2c635e6bb4f",
    "manager": "0048ea5b-911e-4dff-9364-92070dea62ff",
    "pay_group": "ad1264e2-8ded-4b52-9a50-c4f4a2f7e7f4",
    "ssn": "1234567890",
    "gender": "MALE",
    "ethnicity": "AMERICAN_INDIAN_OR_ALASKA_NATIVE",
    "marital_status": "SINGLE",
    "date_of_birth": "1990-11-10T00:00:00Z",
    "start_date": "2020-10-11T00:00:00Z",
    "remote_created_at": "2020-10-11T00:00:00Z",
    "employment_status": "ACTIVE",
    "termination_date": "2021-10-12T00:00:00Z",
    "avatar": "http://alturl.com/h2h8m",
    "custom_fields": {"key": "value"},
    **TAIL,
    "remote_was_deleted": True,
}

GROUP_TEAM: Json = {
    "id": "21a54124-397f-494d-985e-3c5b330b8a68",
    "remote_id": "800293",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "parent_group": "2ef51b11-2c4e-4b7b-9f3a-1a6b2c3d4e5f",
    "name": "COST CENTER 10250",
    "type": "TEAM",
    "is_commonly_used_as_team": True,
    **TAIL,
}
GROUP_DEPARTMENT: Json = GROUP_TEAM | {
    "id": "2ef51b11-2c4e-4b7b-9f3a-1a6b2c3d4e5f",
    "parent_group": None,
    "name": "Engineering",
    "type": "DEPARTMENT",
    "is_commonly_used_as_team": False,
}
EMPLOYMENT: Json = {
    "id": "17a54124-287f-494d-965e-3c5b330c9a68",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "employee": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "job_title": "Software Engineer",
    "pay_rate": 80000.0,
    "pay_period": "DAY",
    "pay_frequency": "WEEKLY",
    "pay_currency": "XUA",
    "pay_group": "ad1264e2-8ded-4b52-9a50-c4f4a2f7e7f4",
    "flsa_status": "EXEMPT",
    "effective_date": "2023-10-06T18:42:34Z",
    "employment_type": "FULL_TIME",
    **TAIL,
}
LOCATION: Json = {
    "id": "9efbc633-3387-4306-aa55-e2c635e6bb4f",
    "remote_id": "93018402",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "NYC Office",
    "phone_number": "+1111111111",
    "street_1": "2920 Broadway",
    "street_2": "2nd Floor",
    "city": "New York",
    "state": "NY",
    "zip_code": "10027",
    "country": "US",
    "location_type": "WORK",
    **TAIL,
}
COMPANY: Json = {
    "id": "8d9fd929-436c-4fd4-a48b-0c61f68d6178",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "legal_name": "We Love Integrations Inc.",
    "display_name": "We Love Integrations",
    "eins": ["12-3456789", "12-3451111", "11-0011000"],
    **TAIL,
}
TEAM: Json = {
    "id": "13a1fb8c-4ea7-4b11-9f5d-0d2bd1a0a0f1",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Engineering",
    "parent_team": "1b998423-db0a-4037-a4cf-f79c60cb67b3",
    **TAIL,
}

# The same employee with the relations expanded (the union's other member), as our client asks.
EMPLOYEE_EXPANDED: Json = EMPLOYEE_AS_IDS | {
    "company": COMPANY,
    "groups": [GROUP_DEPARTMENT, GROUP_TEAM, None],
    "employments": [EMPLOYMENT],
    "work_location": LOCATION,
    "home_location": LOCATION | {"location_type": "HOME"},
    "manager": EMPLOYEE_AS_IDS | {"id": "0048ea5b-911e-4dff-9364-92070dea62ff"},
    "team": TEAM,
    "remote_was_deleted": False,
}

EMPLOYEE_PAGE: Json = {
    "next": "cD0yMDIxLTAxLTA2KzAzJTNBMjQlM0E1My40MzQzMjYlMkIwMCUzQTAw",
    "previous": "cj1sZXdwd2VycWVtY29zZnNkc2NzUWxNMEUxTXk0ME16UXpNallsTWtJ",
    "results": [EMPLOYEE_AS_IDS, EMPLOYEE_EXPANDED],
}

# syncStatus.yml: SYNCING and an initial sync, yet a last_sync_finished and a next start.
SYNC_STATUS_PAGE: Json = {
    "next": "cD0yMDIxLTAxLTA2KzAzJTNBMjQlM0E1My40MzQzMjYlMkIwMCUzQTAw",
    "previous": "cj1sZXdwd2VycWVtY29zZnNkc2NzUWxNMEUxTXk0ME16UXpNallsTWtJ",
    "results": [
        {
            "model_name": "Employee",
            "model_id": "hris.Employee",
            "last_sync_start": "2021-03-30T19:44:18Z",
            "next_sync_start": "2021-03-30T20:44:18Z",
            "last_sync_result": "SYNCING",
            "last_sync_finished": "2021-03-30T19:55:18Z",
            "status": "SYNCING",
            "is_initial_sync": True,
            "selective_sync_configurations_usage": "IN_NEXT_SYNC",
        }
    ],
}

ACCOUNT_DETAILS: Json = {
    "id": "0496d4c2-42e6-4072-80b3-7b69bfdc76fd",
    "integration": "BambooHR",
    "integration_slug": "bamboohr",
    "category": "hris",
    "end_user_origin_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "end_user_organization_name": "Waystar Royco",
    "end_user_email_address": "kendall.roy@waystar-royco.com",
    "status": "COMPLETE",
    "webhook_listener_url": "https://api.merge.dev/api/integrations/webhook-listener/7fc3mee0UW8ecV4",
    "is_duplicate": True,
    "account_type": "PRODUCTION",
    "completed_at": "2024-08-26T20:11:19Z",
}

ACCOUNT_INTEGRATION: Json = {
    "name": "name",
    "abbreviated_name": "abbreviated_name",
    "categories": ["hris"],
    "image": "image",
    "square_image": "square_image",
    "color": "#000000",
    "slug": "slug",
    "api_endpoints_to_documentation_urls": {"key": "value"},
    "webhook_setup_guide_url": "webhook_setup_guide_url",
    "category_beta_status": {"key": "value"},
}

# availableActions.yml: an ATS model in the HRIS file; clients must not assume only HRIS ones.
AVAILABLE_ACTIONS: Json = {
    "integration": ACCOUNT_INTEGRATION,
    "passthrough_available": True,
    "available_model_operations": [
        {
            "model_name": "Candidate",
            "available_operations": ["FETCH", "CREATE"],
            "required_post_parameters": ["remote_user_id"],
            "supported_fields": ["first_name", "last_name", "company", "title"],
        }
    ],
}

LINK_TOKEN: Json = {
    "link_token": "necdP7FtdASl1fQwm62be2_dM4wBG8_GactqoUV0",
    "integration_name": "Lever",
    "magic_link_url": "https://link.merge.dev/asdfjkl12345jsndfgi2i83n",
}

ACCOUNT_TOKEN: Json = {
    "account_token": "T9klMDQrcHdm9jrtHuOS2Nf06BIHwMNjpPXPMB",
    "integration": ACCOUNT_INTEGRATION,
    "id": "0496d4c2-42e6-4072-80b3-7b69bfdc76fd",
}

# Webhook envelopes as Merge's docs describe them (hook, linked_account, data).
HOOK_ACCOUNT: Json = ACCOUNT_DETAILS
SYNC_COMPLETED: Json = {
    "hook": {
        "id": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "event": "LinkedAccount.sync_completed",
        "target": "https://example.com/webhooks/merge",
    },
    "linked_account": HOOK_ACCOUNT,
    "data": {
        "is_initial_sync": False,
        "integration_name": "BambooHR",
        "integration_id": "0496d4c2-42e6-4072-80b3-7b69bfdc76fd",
        "sync_status": {
            "hris.Employee": {
                "last_sync_result": "DONE",
                "last_sync_finished": "2024-01-15T22:46:41Z",
            },
            "hris.Group": {
                "last_sync_result": "PARTIALLY_SYNCED",
                "last_sync_finished": "2024-01-15T22:46:40Z",
            },
        },
    },
}
LINKED: Json = {
    "hook": SYNC_COMPLETED["hook"] | {"event": "LinkedAccount.linked"},
    "linked_account": HOOK_ACCOUNT,
    "data": {"account_token": "T9klMDQrcHdm9jrtHuOS2Nf06BIHwMNjpPXPMB", "is_relink": False},
}
