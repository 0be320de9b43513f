"""Fixtures of the redaction tests (defined in tests/jobs/fixtures.py)."""

from tests.jobs.fixtures import company, embedded, sandbox, world

__all__ = ["company", "embedded", "sandbox", "world"]
