"""The HR systems the sandbox can play behind Merge: Justworks (the default), BambooHR, HiBob.

They serve the same synthetic company and differ where real integrations differ: which Employee
fields `available-actions` lists as supported (the others come back null, as Merge serves a
field an integration does not provide) and how their teams appear among the groups. Which
fields each lacks is the sandbox's choice, made so the three differ in fields our mapping reads
(Merge's per-integration coverage tables are not public data); see docs/merge-facts.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

EMPLOYEE_FIELDS = (
    "remote_id", "employee_number", "company", "first_name", "last_name", "preferred_name",
    "display_full_name", "username", "groups", "work_email", "personal_email",
    "mobile_phone_number", "employments", "home_location", "work_location", "manager", "team",
    "pay_group", "ssn", "gender", "ethnicity", "marital_status", "date_of_birth", "hire_date",
    "start_date", "remote_created_at", "employment_status", "termination_date", "avatar",
    "custom_fields",
)  # fmt: skip
_NEVER = frozenset({"username", "avatar", "custom_fields"})  # the synthetic HRIS has none


@dataclass(frozen=True)
class Integration:
    slug: str
    name: str
    color: str
    id: str  # Merge's integration id (the sync_completed webhook's integration_id)
    missing: frozenset[str]  # Employee fields this integration does not supply
    team_group_type: str = "TEAM"  # Group.type of the groups that are teams

    @property
    def employee_fields(self) -> tuple[str, ...]:
        """`supported_fields` of the Employee model in `available-actions`."""
        return tuple(f for f in EMPLOYEE_FIELDS if f not in self.missing)

    def account_integration(self) -> Json:
        """Merge's AccountIntegration (account-token exchange, available-actions)."""
        return {
            "name": self.name,
            "abbreviated_name": None,
            "categories": ["hris"],
            "image": f"https://merge-sandbox.example/logos/{self.slug}.png",
            "square_image": f"https://merge-sandbox.example/logos/{self.slug}-square.png",
            "color": self.color,
            "slug": self.slug,
            "api_endpoints_to_documentation_urls": {},
            "webhook_setup_guide_url": None,
            "category_beta_status": {},
        }

    def linked_account_integration(self) -> Json:
        """`integration` of a `GET /linked-accounts` item (AccountDetailsAndActionsIntegration)."""
        return {
            "name": self.name,
            "categories": ["hris"],
            "image": f"https://merge-sandbox.example/logos/{self.slug}.png",
            "square_image": f"https://merge-sandbox.example/logos/{self.slug}-square.png",
            "color": self.color,
            "slug": self.slug,
            "passthrough_available": True,
        }


JUSTWORKS = Integration(
    slug="justworks",
    name="Justworks",
    color="#3C7CF6",
    id="5e7f0f1e-7a45-4b39-9c52-5a1d3f1e0b11",
    missing=_NEVER | {"ethnicity", "marital_status"},
)
BAMBOOHR = Integration(
    slug="bamboohr",
    name="BambooHR",
    color="#73C41D",
    id="2b1c4e77-0d3a-4c55-8f0e-6a0f5d2c9b21",
    missing=_NEVER | {"team", "pay_group", "ssn", "hire_date"},
)
HIBOB = Integration(
    slug="hibob",
    name="HiBob",
    color="#E8336B",
    id="8d9e2a10-4f6b-4a7c-9b3d-1c2e3f4a5b61",
    missing=_NEVER
    | {"team", "employee_number", "date_of_birth", "ssn", "pay_group", "personal_email"}
    | {"mobile_phone_number", "hire_date", "ethnicity", "marital_status"},
    team_group_type="GROUP",  # its teams are plain groups that Merge marks as used as teams
)
INTEGRATIONS: dict[str, Integration] = {i.slug: i for i in (JUSTWORKS, BAMBOOHR, HIBOB)}


def integration(slug: str | None) -> Integration:
    """The integration of `slug` (None: Justworks); KeyError for one the sandbox cannot play."""
    return JUSTWORKS if slug is None else INTEGRATIONS[slug]
