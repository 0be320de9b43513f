"""Jinja2 for the pages: autoescaped, with the filters the pages share, and flash notices."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from peoplesync.core.fields import FIELDS, label
from peoplesync.web.deps import FLASH_COOKIE

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# How Import History colours a run: green applied cleanly, yellow with warnings, red otherwise.
_ACTIVE = {"queued", "fetching", "planning", "applying"}


def run_colour(state: str, issues: list[Any] | None = None) -> str:
    if state == "succeeded":
        return "yellow" if issues else "green"
    if state in {"failed", "blocked"}:
        return "red"
    if state in _ACTIVE or state == "awaiting_review":
        return "blue"
    return "grey"


def when(value: datetime | date | str | None, timezone: str = "UTC") -> str:
    """A date or a moment as admins read it: "2 Dec 2026, 14:05 CET", in the account's time
    zone (the views hand over ISO text; a moment without a zone is UTC)."""
    if not value:
        return "—"
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        local = moment.astimezone(zone)
        return f"{local.day} {local:%b %Y, %H:%M} {local.tzname() or timezone}"
    return f"{value.day} {value:%b %Y}"


@pass_context
def when_here(context: Context, value: datetime | date | str | None) -> str:
    """`when` in the signed-in account's time zone."""
    principal = context.get("principal")
    return when(value, getattr(principal, "timezone", "UTC"))


def day_after(value: str | date) -> date:
    """The day after a date (ISO text or a date): a person's first day as a former employee."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day + timedelta(days=1)


def words(value: str | None) -> str:
    return (value or "").replace("_", " ")


_ENTRIES = {"created": "Created", "removed": "Removed (an undo)"}  # entries that are no field


def field_label(value: str | None) -> str:
    """A field as admins know it ("Date of Birth", "Employee Id", the field schema's labels);
    a demographic by its own exact name."""
    if not value:
        return ""
    return _ENTRIES.get(value) or label(value)


# The core fields a person's page shows, in the schema's order (the name heads the page).
PERSON_FIELDS = tuple((f.name, f.label, f.kind.value) for f in FIELDS if f.name != "name")


_BREAK_AFTER = re.compile(r"([.@_/+])")


def breakable(value: object) -> Markup:
    """Escaped text with a line-break opportunity (<wbr>) after each `. @ _ / +`: a long email
    or identifier wraps at its punctuation rather than in the middle of a word (CSS breaks
    within a word only if a piece is still too long)."""
    if value is None or value == "":
        return Markup("")
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(str(value)))))  # noqa: S704 - escaped first


templates.env.filters["when"] = when_here
templates.env.filters["words"] = words
templates.env.filters["day_after"] = day_after
templates.env.filters["label"] = field_label
templates.env.globals["person_fields"] = PERSON_FIELDS
templates.env.filters["breakable"] = breakable
templates.env.globals["run_colour"] = run_colour


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    flash = request.cookies.get(FLASH_COOKIE)
    page: dict[str, Any] = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "flash": unquote(flash) if flash else None,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, page, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(url: str, *, flash: str | None = None) -> Response:
    """303 to a page (after a form post), optionally with a notice shown once there."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), path="/", httponly=True, samesite="lax")
    return response
