"""The field mapping API over real HTTP (issue 13): read, change (checked whole: a refusal names
every problem in the one error shape), preview a file, reset; one account's mapping is its own."""

from __future__ import annotations

from tests.web.site import Site
from tests.web.tenants import import_csv

COMPANY = "Name,Email,Start Date,Team\nAda Ito,ada@map.example,2019-04-01,Core\n"
SQUADS = "Name,Email,Start Date,Squad,Type\nAda Ito,ada@map.example,2019-04-01,Platform,Board\n"


def test_a_mapping_is_read_changed_previewed_and_reset_through_the_api(site: Site) -> None:
    mine = site.api(site.token(site.account("Mapping API")))
    other = site.api(site.token(site.account("Mapping API Other")))
    assert import_csv(mine, COMPANY.encode(), "everyone.csv")["state"] == "succeeded"
    shown = mine.get("/api/v1/mappings/file").json()
    assert shown["fields"] == [{"field": "Team", "label": "Team", "demographic": "Team"}]
    assert shown["demographics"] == ["Team"]
    refused = mine.put(
        "/api/v1/mappings/file", json={"targets": {"Squad": "Team"}, "exclude": None}
    )
    assert refused.status_code == 422
    assert "'Team' and 'Squad' are both mapped to 'Team'" in refused.json()["error"]["message"]
    body = {
        "targets": {"Squad": "Team", "Team": ""},
        "exclude": {"field": "Type", "values": ["Board"]},
    }
    saved = mine.put("/api/v1/mappings/file", json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["exclude"] == {"field": "Type", "values": ["Board"]}
    preview = mine.post(
        "/api/v1/mappings/file/preview", files={"file": ("squads.csv", SQUADS.encode())}
    ).json()
    assert preview["people"] == [
        {
            "name": "Ada Ito",
            "email": "ada@map.example",
            "values": {"Team": "Platform", "Type": "Board"},
            "excluded": True,
        }
    ]
    assert other.get("/api/v1/mappings/file").json()["exclude"] is None  # its own, the default
    assert other.get("/api/v1/mappings/nowhere").status_code == 422
    reset = mine.delete("/api/v1/mappings/file").json()
    assert reset["exclude"] is None
    assert {f["field"]: f["demographic"] for f in reset["fields"]}["Team"] == "Team"
