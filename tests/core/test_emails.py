"""The fast email path accepts only what email-validator accepts, and rejects with its words."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import assume, example, given

from peoplesync.core.emails import email_problem
from tests.factories.strategies import plausible_emails


def validator_verdict(email: str) -> str | None:
    """None when email-validator accepts `email` (syntax only), else its message."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as err:
        return str(err)
    return None


@example("x@ab--cd.com")
@example("a@xn--zz.com")
@given(plausible_emails())
def test_email_problem_agrees_with_email_validator(email: str) -> None:
    assert email_problem(email) == validator_verdict(email)


@given(plausible_emails())
def test_email_problem_agrees_with_email_validator_without_double_hyphens(email: str) -> None:
    # The property above minus the known bug's inputs, so the rest of the fast path stays guarded.
    assume("--" not in email.partition("@")[2])

    assert email_problem(email) == validator_verdict(email)


@pytest.mark.parametrize(
    "email",
    [
        "ada@acme.example",
        "Ada.Lovelace+hr@corp.acme.io",
        "o'brien@acme.example",
        "first_last%dept@acme.example",
        "zoë@acme.example",
        "ada@bücher.example",
        "a@xn--bcher-kva.example",
        f"{'a' * 64}@acme.example",
        f"{'a' * 65}@acme.example",  # email-validator does not cap the local part at 64
    ],
)
def test_good_addresses_are_accepted(email: str) -> None:
    assert email_problem(email) is None
    assert validator_verdict(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "ada@acme.test",
        "ada@corp.localhost",
        "ada@printer.local",
        "ada@localhost",
        "ada@acme",
        "ada..lovelace@acme.example",
        ".ada@acme.example",
        "ada.@acme.example",
        "ada@-acme.example",
        "ada@acme-.example",
        "ada@acme..example",
        "ada@acme.123",
        "ada lovelace@acme.example",
        "ada@@acme.example",
        "@acme.example",
        "ada@",
        f"ada@{'a' * 64}.example",
        f"ada@{'a.' * 130}example",
    ],
)
def test_bad_addresses_are_rejected_in_email_validators_words(email: str) -> None:
    problem = email_problem(email)

    assert problem is not None
    assert problem == validator_verdict(email)
