"""The FastAPI app: pages, the JSON API under /api/v1, static files, and one error mapping.

`create_app(WebContext(...))` builds it; `peoplesync serve` runs it with uvicorn.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from peoplesync import __version__
from peoplesync.errors import PeoplesyncError
from peoplesync.web import api
from peoplesync.web.context import WebContext
from peoplesync.web.deps import LoginRequired, login_redirect
from peoplesync.web.pages import auth, integrations, runs, settings, users
from peoplesync.web.templating import HERE, render

log = structlog.get_logger(__name__)

# Every router with its prefix: the pages (not in the OpenAPI document) and the API.
PAGE_ROUTERS = (auth.router, integrations.router, runs.router, users.router, settings.router)
API_PREFIX = "/api/v1"


def all_routes() -> list[tuple[str, APIRoute]]:
    """(full path, route) of every page and API route (the tests' isolation matrix uses it)."""
    pages = [r for router in PAGE_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    found = [(r.path, r) for r in pages]
    found += [(API_PREFIX + r.path, r) for r in api.router.routes if isinstance(r, APIRoute)]
    return found


def create_app(ctx: WebContext) -> FastAPI:
    app = FastAPI(
        title="peoplesync",
        version=__version__,
        description="Keeps the employee directory in step with the HRIS. "
        "Authenticate with 'Authorization: Bearer <API token>'.",
        docs_url="/api/v1/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.web = ctx
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(api.router, prefix=API_PREFIX)
    _add_error_handlers(app)
    _add_security_headers(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_redirect(exc.next_path), status_code=303)

    @app.exception_handler(PeoplesyncError)
    async def known_error(request: Request, exc: PeoplesyncError) -> Response:
        log.info("web.error", code=exc.code, status=exc.http_status, path=request.url.path)
        if _is_api(request):
            return JSONResponse(exc.to_dict(), status_code=exc.http_status)
        return render(request, "error.html", {"error": exc}, status=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
            for e in exc.errors()
        ]
        error = PeoplesyncError("The request is not valid: " + "; ".join(problems))
        body = {"error": {"code": "invalid_request", "message": error.message}}
        if _is_api(request):
            return JSONResponse(body, status_code=422)
        return render(request, "error.html", {"error": error}, status=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        if _is_api(request):
            code = "not_found" if exc.status_code == 404 else "http_error"
            body = {"error": {"code": code, "message": message}}
            return JSONResponse(body, status_code=exc.status_code)
        return render(
            request, "error.html", {"error": PeoplesyncError(message)}, status=exc.status_code
        )


def _add_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/api/v1/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                "form-action 'self' *; frame-ancestors 'none'",
            )
        return response
