"""The fixed shape of a synthetic company: departments, teams, titles, offices, pay groups.

The reporting tree is an implicit 8-ary heap: employee 0 is the CEO, the manager of employee
`i > 0` is `(i - 1) // 8` (always a lower index, so there are no loops), and the direct reports of
`m` are `8m + 1 .. 8m + 8`. The eight people under the CEO each lead a department; the team of a
deeper employee follows from their level-2 ancestor, so whole subtrees share a team.
"""

from __future__ import annotations

from dataclasses import dataclass

BRANCHING = 8


@dataclass(frozen=True)
class Department:
    name: str
    teams: tuple[str, ...]
    titles: tuple[str, ...]  # individual-contributor titles


DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Engineering",
        ("Platform", "Mobile", "Data", "Infrastructure", "Security", "Payments"),
        ("Software Engineer", "Site Reliability Engineer", "Data Engineer", "QA Engineer"),
    ),
    Department(
        "Product",
        ("Product Management", "Design", "Research"),
        ("Product Manager", "Product Designer", "UX Researcher"),
    ),
    Department(
        "Sales",
        ("Enterprise Sales", "Mid-Market Sales", "Sales Development"),
        ("Account Executive", "Sales Development Representative", "Solutions Engineer"),
    ),
    Department(
        "Marketing",
        ("Growth", "Brand", "Content"),
        ("Marketing Manager", "Content Strategist", "Growth Analyst"),
    ),
    Department(
        "Customer Success",
        ("Support", "Onboarding", "Account Management"),
        ("Support Specialist", "Customer Success Manager", "Implementation Consultant"),
    ),
    Department(
        "Finance",
        ("Accounting", "FP&A", "Payroll"),
        ("Accountant", "Financial Analyst", "Payroll Specialist"),
    ),
    Department(
        "People",
        ("Recruiting", "People Operations", "Learning"),
        ("Recruiter", "People Partner", "HR Generalist"),
    ),
    Department(
        "Operations",
        ("Legal", "IT", "Workplace"),
        ("Counsel", "IT Specialist", "Office Coordinator"),
    ),
)


@dataclass(frozen=True)
class Place:
    """A Location record's facts (work office or home address)."""

    name: str | None
    phone_number: str | None
    street_1: str
    street_2: str | None
    city: str
    state: str | None
    zip_code: str
    country: str
    location_type: str  # HOME | WORK


OFFICES: tuple[Place, ...] = (
    Place("New York HQ", "+1 212 555 0100", "350 Hudson St", "Floor 9", "New York", "NY", "10014",
          "US", "WORK"),
    Place("San Francisco", "+1 415 555 0100", "85 Second St", "Suite 400", "San Francisco", "CA",
          "94105", "US", "WORK"),
    Place("Austin", "+1 512 555 0100", "500 W 2nd St", None, "Austin", "TX", "78701", "US",
          "WORK"),
    Place("Berlin", "+49 30 5550100", "Torstraße 140", None, "Berlin", None, "10119", "DE",
          "WORK"),
    Place("Mexico City", "+52 55 5550 0100", "Av. Paseo de la Reforma 296", "Piso 12",
          "Ciudad de México", "CDMX", "06600", "MX", "WORK"),
    Place("Tokyo", "+81 3 5550 0100", "1-2-3 Shibuya", None, "Tokyo", None, "150-0002", "JP",
          "WORK"),
    Place("London", "+44 20 5550 0100", "1 Finsbury Ave", None, "London", None, "EC2M 2PF", "GB",
          "WORK"),
)  # fmt: skip

# Which office people from a country work at (index into OFFICES); US people spread over 0-2.
OFFICE_BY_COUNTRY: dict[str, int] = {
    "DE": 3, "PL": 3, "FR": 3, "RU": 3, "MX": 4, "BR": 4, "JP": 5, "CN": 5, "IN": 6, "AE": 6,
}  # fmt: skip

HOME_STREETS: tuple[str, ...] = (
    "Maple Ave", "Oak St", "Cedar Ln", "Park Pl", "Lake Dr", "Hill Rd", "Elm St", "River Rd",
    "Sunset Blvd", "Pine St", "Willow Way", "Main St", "Church St", "Mill Rd", "Forest Ave",
)  # fmt: skip

PAY_GROUPS: tuple[str, ...] = ("US Semi-Monthly", "International Contractors")

COMPANY_WORDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Northwind", "Bluepeak", "Brightwater", "Ironwood", "Silverline", "Redfern", "Clearpath",
     "Goldcrest", "Lakeshore", "Summit", "Evergreen", "Harbor"),
    ("Labs", "Analytics", "Health", "Logistics", "Robotics", "Foods", "Energy", "Software",
     "Media", "Bio", "Finance", "Works"),
)  # fmt: skip


def manager_of(index: int) -> int | None:
    return None if index == 0 else (index - 1) // BRANCHING


def reports_of(index: int, size: int) -> range:
    first = index * BRANCHING + 1
    return range(min(first, size), min(first + BRANCHING, size))


def ancestors(index: int) -> list[int]:
    """The chain from `index` up to the CEO, `index` first."""
    chain = [index]
    while chain[-1] != 0:
        chain.append((chain[-1] - 1) // BRANCHING)
    return chain


def is_leaf(index: int, size: int) -> bool:
    return index * BRANCHING + 1 >= size
