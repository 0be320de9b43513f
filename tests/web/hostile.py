"""A hostile directory for layout tests: long names, long unbroken emails, long demographic values,
many demographics, HTML-looking text; and the CSV files that put it in (and change it) run by run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

LONG_NAME = "Maximiliana Alexandrovna Konstantinopoulou-Vanderbilt-Featherstonehaugh Oyelaran-Ngata"
UNBROKEN_NAME = (
    "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewaren"
    "wohlgepflegeundsorgfaltigkeitbeschutzen Zed"
)
HTML_NAME = '<img src=x onerror=alert(1)> "Bobby" Tables &amp; <b>Sons</b>'
# A 64-character local part (the most an address may have) at a long, many-label domain.
LONG_EMAIL = (
    "maximiliana.alexandrovna.konstantinopoulou.vanderbilt.ngata.hr01"
    "@people-operations.headquarters.extraordinarily-long-subsidiary-name.example"
)
UNBROKEN_EMAIL = "wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftsch@x.example"
LONG_EMPLOYEE_ID = "EMP-2026-HEADQUARTERS-000000000000000000000000000000000000000001"
UNBROKEN_VALUE = "Supercalifragilisticexpialidocious" * 4
LONG_VALUE = (
    "Global People Operations, Talent Acquisition and Employee Experience (EMEA and APAC), "
    "reporting to the Chief People Officer"
)
DEMOGRAPHICS = [
    "Department",
    "Cost Centre and Reporting Line for the Annual Engagement Survey",
    "<b>Team</b>",
    *(f"Demographic {n:02d} with a fairly long name" for n in range(1, 22)),
]
HEADER = [
    "Name",
    "Preferred Name",
    "Employee Id",
    "Email",
    "Date of Birth",
    "Start Date",
    "End Date",
    "Manager Email",
    *DEMOGRAPHICS,
]


@dataclass
class Row:
    name: str
    email: str
    employee_id: str = ""
    preferred: str = ""
    manager: str = ""
    end: str = ""
    values: dict[str, str] = field(default_factory=dict)

    def cells(self) -> list[str]:
        head = [self.name, self.preferred, self.employee_id, self.email, "1988-02-29"]
        head += ["2020-01-06", self.end, self.manager]
        return head + [self.values.get(d, "") for d in DEMOGRAPHICS]


def _values(seed: int) -> dict[str, str]:
    found = {d: f"{LONG_VALUE} · {n + seed}" for n, d in enumerate(DEMOGRAPHICS)}
    found["Department"] = UNBROKEN_VALUE
    found["<b>Team</b>"] = "<script>alert(2)</script> Blue"
    return found


def people(version: int = 1) -> list[Row]:
    """The company; a higher `version` renames, re-addresses and moves people (for updates)."""
    suffix = "" if version == 1 else f" the {'Second' if version == 2 else 'Third'}"
    boss = Row(
        LONG_NAME + suffix,
        LONG_EMAIL,
        LONG_EMPLOYEE_ID,
        preferred="Maxi Konstantinopoulou-Vanderbilt",
        values=_values(version),
    )
    rows = [
        boss,
        Row(
            UNBROKEN_NAME,
            UNBROKEN_EMAIL if version == 1 else UNBROKEN_EMAIL.replace("@", f"{version}@", 1)[1:],
            "W-1",
            manager=LONG_EMAIL,
            values=_values(version + 10),
        ),
        Row(HTML_NAME, "bobby@acme.example", "H-1", manager=LONG_EMAIL, values=_values(20)),
    ]
    rows += [
        Row(f"Person Number {n}", f"person{n}@acme.example", f"P-{n}", manager=LONG_EMAIL)
        for n in range(1, 8 if version < 3 else 6)  # the third version loses two: leavers
    ]
    if version == 3:
        rows.append(
            Row(LONG_NAME.replace("Maximiliana", "Konstantina"), "konstantina@acme.example")
        )
    return rows


def csv_bytes(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(r.cells() for r in rows)
    return out.getvalue().encode()


def invalid_csv() -> bytes:
    """Errors with long values: a malformed long address, a missing name, a manager unknown."""
    rows = people(2)
    rows[1].email = "not an email " + UNBROKEN_VALUE
    rows[2].name = ""
    rows[3].manager = "nobody." + LONG_EMAIL
    return csv_bytes(rows)
