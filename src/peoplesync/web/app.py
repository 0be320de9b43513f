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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peoplesync import __version__
from peoplesync.errors import PeoplesyncError
from peoplesync.web import api, api_access, api_connections, api_held, api_mapping
from peoplesync.web.context import WebContext, link_origins
from peoplesync.web.deps import LoginRequired, login_redirect
from peoplesync.web.pages import (
    auth,
    held,
    integrations,
    mapping,
    operator,
    runs,
    settings,
    users,
)
from peoplesync.web.templating import HERE, render

log = structlog.get_logger(__name__)

# Every router with its prefix: the pages (not in the OpenAPI document) and the API.
PAGE_ROUTERS = (
    auth.router,
    integrations.router,
    held.router,
    runs.router,
    users.router,
    settings.router,
    operator.router,
    mapping.router,
)
API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024 * 1024  # a 50 MB CSV and its multipart wrapping; more is refused (413)
API_ROUTERS = (
    api.router,
    api_access.router,
    api_connections.router,
    api_held.router,
    operator.api_router,
    api_mapping.router,
)


def all_routes() -> list[tuple[str, APIRoute]]:
    """(full path, route) of every page and API route (the tests' isolation matrix uses it)."""
    pages = [r for router in PAGE_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    found = [(r.path, r) for r in pages]
    for router in API_ROUTERS:
        found += [(API_PREFIX + r.path, r) for r in router.routes if isinstance(r, APIRoute)]
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
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    _add_error_handlers(app)
    _add_middleware(app, link_origins=link_origins(ctx.settings))
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
        if exc.status_code == 413:
            return _too_large_response(request)
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        if _is_api(request):
            code = "not_found" if exc.status_code == 404 else "http_error"
            body = {"error": {"code": code, "message": message}}
            return JSONResponse(body, status_code=exc.status_code)
        page = render(
            request, "error.html", {"error": PeoplesyncError(message)}, status=exc.status_code
        )
        page.headers.update(exc.headers or {})  # a 401's WWW-Authenticate (the operator page)
        return page


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
# Pages and API answers name people: no browser, proxy or CDN may keep a copy. Static files
# (CSS, JS) hold none and keep their caching.
NO_STORE = (b"cache-control", b"no-store")


def content_security_policy(link_origins: tuple[str, ...]) -> bytes:
    """Only this site's styles and scripts, and Merge Link's script and dialog (embedded Link:
    `initialize.js` opens an iframe); forms post here only."""
    link = " ".join(("'self'", *link_origins))
    return (
        f"default-src 'self'; style-src 'self'; script-src {link}; img-src 'self' data:; "
        f"frame-src {link}; form-action 'self'; frame-ancestors 'none'"
    ).encode()


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: it sees the
    responses of the error handlers too)."""

    def __init__(self, app: ASGIApp, link_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.csp = content_security_policy(link_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        docs = path.startswith("/api/v1/docs")  # Swagger UI runs inline JS
        static = path.startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not docs:
                    headers.append((b"content-security-policy", self.csp))
                if not static:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="The request body is too large.")


class BodyLimit:
    """Refuses a request body over `limit` bytes with 413 in the room's error shape: at once when
    its Content-Length says so (nothing is read), else as soon as the bytes read pass the limit
    (BodyTooLarge, which the error handlers answer)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large_response(request)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send)


def _too_large_response(request: Request) -> Response:
    error = PeoplesyncError(
        f"The request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB, so it was not read.",
        hint="Upload a file of at most 50 MB (split a larger one, or use the HRIS sync).",
    )
    if _is_api(request):
        body = {"error": {"code": "too_large", "message": error.message, "hint": error.hint}}
        return JSONResponse(body, status_code=413)
    return render(request, "error.html", {"error": error}, status=413)


class CrashBarrier:
    """A bug becomes a plain 500 (JSON for the API, the error page otherwise), logged with its
    traceback for the operator and never shown to the admin; the connection stays usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise  # half a response is out: only the server can end it
            request = Request(scope)
            await _crash_response(request)(scope, receive, send)  # answer first, then log
            log.exception("web.crashed", path=request.url.path, error=type(exc).__name__)


def _crash_response(request: Request) -> Response:
    error = PeoplesyncError(
        "Something broke on our side; nothing was changed by this request.",
        hint="Try again. If it keeps happening, tell your peoplesync operator (with the time).",
    )
    if _is_api(request):
        body = {"error": {"code": "internal_error", "message": error.message}}
        return JSONResponse(body, status_code=500)
    return render(request, "error.html", {"error": error}, status=500)


def _add_middleware(app: FastAPI, *, link_origins: tuple[str, ...]) -> None:
    app.add_middleware(BodyLimit)  # innermost of ours: its 413s get the headers below
    app.add_middleware(CrashBarrier)
    app.add_middleware(SecurityHeaders, link_origins=link_origins)
