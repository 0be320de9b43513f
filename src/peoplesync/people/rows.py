"""A directory person's core values as pages, the API and the CLI show them (from the schema)."""

from __future__ import annotations

from datetime import date

from peoplesync.core.fields import VALUE_FIELDS
from peoplesync.store.models import Person as PersonRow


def core_values(person: PersonRow) -> dict[str, str | None]:
    """Every core value (but the manager, a person of its own), by field name; dates as ISO."""
    values: dict[str, str | None] = {}
    for field in VALUE_FIELDS:
        value = getattr(person, field.column)
        values[field.name] = value.isoformat() if isinstance(value, date) else value
    return values
