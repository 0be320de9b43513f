"""Hostile files through the real upload API, on SQLite and PostgreSQL (issue 15): a NUL byte in
a name and a name longer than the directory keeps are validation errors naming the row and the
column, in a run that ends within seconds (the NUL once took ~240 s to appear; the long name
once failed on PostgreSQL as "an unexpected error (DataError)")."""

from __future__ import annotations

import time

import pytest

from tests.web.site import Site
from tests.web.tenants import wait_run

HEADER = b"Name,Preferred Name,Employee Id,Email,Date of Birth,Start Date,End Date,Manager Email\n"


@pytest.mark.parametrize(
    ("row", "field", "says"),
    [
        (b"Ada\x00Lovelace,,E1,ada@acme.example,,,,\n", "name", "U+0000"),
        (b"N" * 600 + b",,E1,ada@acme.example,,,,\n", "name", "the longest kept is 500"),
    ],
    ids=["nul", "too-long"],
)
def test_a_hostile_upload_is_a_blocked_run_naming_row_and_column(
    site: Site, row: bytes, field: str, says: str
) -> None:
    api = site.api(site.token(site.account(f"Hostile {says[:3]} {time.monotonic_ns()}")))
    data = HEADER + row + b"Bob Stone,,E2,bob@acme.example,,,,\n"
    started = time.monotonic()
    queued = api.post("/api/v1/syncs/csv", files={"file": ("hostile.csv", data, "text/csv")})
    assert queued.status_code == 202, queued.text
    run = wait_run(api, queued.json()["run_id"], until={"blocked", "failed", "awaiting_review"})
    took = time.monotonic() - started
    assert run["state"] == "blocked", run
    (issue,) = [i for i in run["issues"] if i["severity"] == "error"]
    assert (issue["location"], issue["field"]) == ("row 2", field)
    assert says in issue["message"]
    assert "unexpected" not in (run["error"] or "")
    assert took < 30  # a bound, not a timing: wait_run gives up at 30 s
    assert api.get("/api/v1/people").json()["total"] == 0  # nothing imported
