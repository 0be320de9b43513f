"""Email checks: syntax (email-validator, with a fast path for the plain addresses most HR data
has), and whether the domain is one the internet reserves.

email-validator takes ~30 µs an address; a 100,000-row import cannot spend 3 s on it. The fast
path accepts only a conservative subset of what email-validator accepts (a property test keeps it
so) and sends everything else to email-validator for the real verdict and its message.

A syntax error is an error. A special-use or reserved domain (`.local`, `.test`, `.internal`,
`.localhost`, `.invalid`, no top-level domain at all) is a company's internal address: valid
syntax, reported as a warning (`reserved_domain`). `.example` (RFC 2606: for documentation) is
valid and not flagged: sample data, the demo and the test fixtures live there. Plus-addressing
(`ada+hr@...`) is an address like any other.
"""

from __future__ import annotations

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

_PLAIN = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"  # local part: dot-atoms, no leading/double dots
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"  # domain labels
    r"([A-Za-z]{2,24})"  # an alphabetic top-level domain
)
_SPECIAL_TLDS = frozenset(SPECIAL_USE_DOMAIN_NAMES)
# Special-use names (RFC 6761, email-validator's list) and ICANN's `internal` (2024): no mail
# reaches them from outside a company.
RESERVED_TLDS = frozenset({*_SPECIAL_TLDS, "internal"})


def plain_public(email: str) -> bool:
    """The fast path alone: a plain address on an ordinary public domain (no syntax problem and
    no reserved domain), as most HR data has; False means: ask `email_problem` and
    `reserved_domain`."""
    if len(email) > 254 or (m := _PLAIN.fullmatch(email)) is None:
        return False
    local, _, domain = email.partition("@")
    return len(local) <= 64 and "--" not in domain and m.group(1).lower() not in RESERVED_TLDS


def email_problem(email: str) -> str | None:
    """None when `email` is a valid address (its domain may be reserved: `reserved_domain`),
    else why not (email-validator's words)."""
    if len(email) <= 254 and (m := _PLAIN.fullmatch(email)):
        local, _, domain = email.partition("@")
        # '--' in a label (IDNA's "xn--" and its reserved 3rd-4th positions) takes the slow path.
        if len(local) <= 64 and "--" not in domain and m.group(1).lower() not in _SPECIAL_TLDS:
            return None
    probe = _neutral(email)
    single_label = "." not in probe.rpartition("@")[2]  # "ada@intranet": a warning, not an error
    try:
        validate_email(probe, check_deliverability=False, globally_deliverable=not single_label)
    except EmailNotValidError as err:
        return str(err)
    return None


def _neutral(email: str) -> str:
    """`email` with a special-use top-level domain replaced by an ordinary one of the same
    length, so that email-validator judges the syntax alone."""
    local, at, domain = email.rpartition("@")
    head, dot, tld = domain.rpartition(".")
    if at and tld.lower() in _SPECIAL_TLDS:
        return f"{local}@{head}{dot}{'x' * len(tld)}"
    return email


def reserved_domain(email: str) -> str | None:
    """Why a syntactically valid address cannot get mail from outside (None: it can)."""
    domain = email.rpartition("@")[2].strip().rstrip(".").lower()
    if "." not in domain:
        return f"its domain '{domain}' has no top-level domain"
    tld = domain.rpartition(".")[2]
    if tld in RESERVED_TLDS:
        return f"'.{tld}' is a reserved domain that does not receive mail from the internet"
    return None
