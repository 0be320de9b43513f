"""Users: the directory with search, filters and paging; a user's page with their history; the
admin's fixes (change an email, deactivate); a plain user's own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peoplesync.people import service as people
from peoplesync.web.deps import Admin, AdminForm, Ctx, User
from peoplesync.web.templating import redirect, render
from peoplesync.web.views import own_person, person_view

router = APIRouter()

PAGE_SIZE = 50
STATUSES = ("active", "former", "deactivated")
SOURCES = ("merge", "csv", "manual")


@router.get("/users")
def users(
    request: Request,
    ctx: Ctx,
    principal: Admin,
    q: str = "",
    status: str = "",
    source: str = "",
    page: int = 1,
) -> Response:
    page = max(page, 1)
    with ctx.read() as session:
        found = people.list_people(
            session,
            principal.account_id,
            search=q or None,
            status=status if status in STATUSES else None,
            source=source if source in SOURCES else None,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(
        request,
        "users.html",
        {
            "found": found,
            "q": q,
            "status": status,
            "source": source,
            "page": page,
            "pages": pages,
            "statuses": STATUSES,
            "sources": SOURCES,
        },
    )


@router.get("/users/{person_id}")
def user(request: Request, ctx: Ctx, principal: Admin, person_id: str) -> Response:
    with ctx.read() as session:
        person = people.get_person(session, principal.account_id, person_id)
        view = person_view(session, principal.account_id, person)
        history = people.person_history(session, principal.account_id, person_id)
    return render(request, "user.html", {"person": view, "history": history, "own": False})


@router.get("/me")
def me(request: Request, ctx: Ctx, principal: User) -> Response:
    with ctx.read() as session:
        person = people.get_person(session, principal.account_id, own_person(principal.person_id))
        view = person_view(session, principal.account_id, person)
    return render(request, "user.html", {"person": view, "history": [], "own": True})


@router.post("/users/{person_id}/email")
def change_email(
    ctx: Ctx, principal: AdminForm, person_id: str, email: Annotated[str, Form()] = ""
) -> Response:
    with ctx.uow() as session:
        people.change_email(
            session, principal.account_id, person_id, email, actor=principal.actor, now=ctx.clock()
        )
    return redirect(f"/users/{person_id}", flash="Saved: the email is changed.")


@router.post("/users/{person_id}/deactivate")
def deactivate(ctx: Ctx, principal: AdminForm, person_id: str) -> Response:
    with ctx.uow() as session:
        people.deactivate_person(
            session, principal.account_id, person_id, actor=principal.actor, now=ctx.clock()
        )
    return redirect(f"/users/{person_id}", flash="The user is deactivated.")
