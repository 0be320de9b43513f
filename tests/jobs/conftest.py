"""Fixtures of the automation tests (defined in tests/jobs/fixtures.py)."""

from tests.jobs.fixtures import COMPANY_SIZE, company, embedded, sandbox, world

__all__ = ["COMPANY_SIZE", "company", "embedded", "sandbox", "world"]
