"""The Starlette application: the page, its static files, and `POST /api/<kind>` for kind in
parse, diff, verify, steps and plot.

Each API request is read with a body-size limit, checked (`fields`), and computed by a worker
process under the time limit (`workers`). Errors are JSON: 400 for bad input (with message,
line, column and field), 413 for oversize input, 415 for a body that is not JSON, 503 when the
time limit is exceeded or a worker failed. Responses carry a Content-Security-Policy that
allows this origin only, so the page cannot make a request anywhere else.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .fields import KINDS, RequestError, TooLarge, WebLimits, read_request
from .work import error_body
from .workers import TimeLimitExceeded, WorkerFailed, WorkerPool

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    # Only this origin: the page's scripts, styles, fonts and API calls; the plot is a data: image.
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self' "
                                "'unsafe-inline'; font-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _error(status: int, message: str, kind: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message, "reason": message,
                                   "line": None, "column": None, "field": field}}, status)


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (TooLarge) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the request body has {int(declared):,} bytes; the limit is {limit:,}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the request body is over the limit of {limit:,} bytes")
    return body


def _api(kind: str, limits: WebLimits) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if "json" not in request.headers.get("content-type", ""):
            return _error(415, "send the request as JSON (Content-Type: application/json)",
                          "RequestError")
        try:
            body = await _body(request, limits.max_body)
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError) as error:
                raise RequestError(f"the request body is not valid JSON: {error}") from None
            fields = read_request(kind, data, limits)
        except TooLarge as error:
            return JSONResponse(error_body(error), 413)
        except RequestError as error:
            return JSONResponse(error_body(error), 400)
        pool: WorkerPool = request.app.state.pool
        try:
            status, answer = await anyio.to_thread.run_sync(pool.run, (kind, fields))
        except (TimeLimitExceeded, WorkerFailed) as error:
            return JSONResponse(error_body(error), 503)
        return JSONResponse(answer, status)

    return endpoint


async def _page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


async def _method_not_allowed(request: Request) -> Response:
    return _error(405, "the API takes POST requests with a JSON body", "RequestError")


class _SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (plain ASGI middleware: no response buffering)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(name.lower().encode(), value.encode())
                            for name, value in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


def create_app(limits: WebLimits | None = None, allowed_hosts: Sequence[str] | None = None,
               warm: bool = True) -> Starlette:
    """The web application. `allowed_hosts` (such as ["127.0.0.1", "localhost"]) refuses other
    Host headers, which stops DNS-rebinding pages from reaching a loopback server."""
    limits = limits or WebLimits()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = WorkerPool(limits.workers, limits.time_limit, limits.memory_mb)
        app.state.pool = pool
        if warm:
            await anyio.to_thread.run_sync(pool.warm)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(pool.close)

    routes: list[BaseRoute] = [Route("/", _page)]
    for kind in KINDS:
        routes.append(Route(f"/api/{kind}", _api(kind, limits), methods=["POST"]))
        routes.append(Route(f"/api/{kind}", _method_not_allowed, methods=["GET"]))
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    middleware = [Middleware(_SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.limits = limits
    return app

