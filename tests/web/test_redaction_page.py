"""Redaction is chosen from a list of the fields the account has (issue 14, item 7): the
redactable core fields by their labels and the account's demographics by their exact names,
never an identity field, never a free-text internal name."""

from __future__ import annotations

import re

from tests.web.tenants import Tenant


def options(page: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="field" required>(.*?)</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', select.group(1))


def test_redaction_is_chosen_from_the_accounts_fields(tenants: tuple[Tenant, Tenant]) -> None:
    acme, _ = tenants
    admin = acme.browser
    offered = dict(options(admin.get("/settings/account").text))
    assert offered.pop("") == "Choose a field…"
    assert offered["birth_date"] == "Date of Birth"
    assert offered["employee_id"] == "Employee Id"
    assert {"Department", "Location", "Job Title"} <= set(offered)  # the file's demographics
    assert not {"name", "email", "Name", "Email"} & set(offered)  # identity is never offered
    assert 'type="text" name="field"' not in admin.get("/settings/account").text

    done = admin.post(
        "/settings/account/redaction",
        data={"field": "Location", "csrf_token": admin.headers["X-CSRF-Token"]},
    )
    assert done.status_code == 303
    page = admin.get("/settings/account").text
    assert "Location" not in dict(options(page))  # redacted now: listed above, not offered
    assert 'aria-label="Stop redacting Location"' in page
    undone = admin.post(
        "/settings/account/redaction",
        data={"remove": "Location", "csrf_token": admin.headers["X-CSRF-Token"]},
    )
    assert undone.status_code == 303
    assert 'aria-label="Stop redacting Location"' not in admin.get("/settings/account").text
