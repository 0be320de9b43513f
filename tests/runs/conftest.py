"""The automation fixtures of tests/jobs: a world with a real queue and database."""

from tests.jobs.fixtures import embedded

__all__ = ["embedded"]
