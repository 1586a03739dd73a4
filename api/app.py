"""The FastAPI application: wiring of services and routers."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl

import itsdangerous
from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import audit_web, metrics, public_web, staff_web, web
from api.accounts import AccountStore, AuditLog
from api.deps import Services
from api.logs import keep_query_strings_out_of_logs
from api.metrics import RequestMetrics
from api.photo_sweep import sweep_periodically
from api.photos import PhotoStore
from api.ratelimit import submission_limiter
from api.receipts import Receipts
from api.routes import auth, complaints, health, officer, open311, open_data, public, reference
from api.schemas import ComplaintCreate
from config.connections import es_options
from config.jurisdiction_file import load_jurisdiction
from config.keys import KeyRing, Purpose
from config.settings import Settings
from producers.intake import CommandSender, Intake
from producers.kafka import EventProducer
from producers.sealing import Sealer, SqlDataKeys
from search.cases import BatchingCaseWriter


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    keys = settings.keys()
    keep_query_strings_out_of_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        producer = EventProducer.from_settings(settings)
        accounts = AccountStore.from_settings(settings)
        # The cases' data keys live in the accounts database: the same engine (and pool), as the audit log's.
        sealer = Sealer(SqlDataKeys(accounts.engine))
        es = AsyncElasticsearch(**es_options(settings), request_timeout=10)
        app.state.services = Services(
            settings=settings,
            keys=keys,
            jurisdiction=jurisdiction,
            producer=producer,
            intake=Intake(producer, settings.topics.submissions, jurisdiction.case_prefix, sealer),
            es=es,
            receipts=Receipts(BatchingCaseWriter(es, settings.indices.cases, jurisdiction)),
            commands=CommandSender(producer, settings.topics.commands, sealer),
            photos=PhotoStore(settings.media_dir, max_bytes=int(settings.max_photo_mb * 1024 * 1024)),
            limiter=submission_limiter(settings.submit_rate_limit),
            accounts=accounts,
        )
        app.state.services.audit = AuditLog(app.state.services.accounts.engine)
        app.state.services.accounts.prune_submission_keys()
        sweeper = asyncio.create_task(sweep_periodically(  # orphan photos: this process has the media folder
            es, settings.indices.cases, settings.media_dir, settings.photo_orphan_grace_s,
            settings.photo_sweep_every_s)) if settings.photo_sweep_every_s else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
            await app.state.services.receipts.close()
            producer.close()
            await es.close()
            app.state.services.accounts.close()

    app = FastAPI(title="Aduan", version="0.1.0", lifespan=lifespan,
                  description="Pengaduan masyarakat / public complaints — " + jurisdiction.name)
    app.add_middleware(KeyedSessionMiddleware, keys=session_keys(keys), session_cookie="aduan_session",
                       max_age=24 * 3600, same_site="lax", https_only=settings.secure_cookies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)
    app.add_middleware(BodyLimit, max_bytes=int((settings.max_photo_mb * 3 + 1) * 1024 * 1024))
    app.add_middleware(TrustedHosts, allowed_hosts=settings.trusted_hosts)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.include_router(web.router)
    app.include_router(staff_web.router)
    app.include_router(audit_web.router)  # /petugas/audit, administrators only
    app.include_router(public_web.router)
    app.add_exception_handler(staff_web.SignedOut, lambda request, exc: RedirectResponse(staff_web.LOGIN, 303))
    app.add_exception_handler(staff_web.MustChangePassword,
                              lambda request, exc: RedirectResponse(staff_web.PASSWORD_PAGE, 303))
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(reference.router)
    app.include_router(complaints.router)
    app.include_router(officer.router)
    app.include_router(public.router)
    app.include_router(open_data.router)
    app.include_router(open311.router)
    app.include_router(auth.router)
    app.openapi = lambda: _openapi_with_complaint_schema(app)
    return app


def _openapi_with_complaint_schema(app: FastAPI) -> dict:
    """POST /api/v1/complaints reads its body itself (JSON or multipart), so FastAPI does not list the
    complaint's schema; add it (and the models it uses) for the documented reference to resolve."""
    if app.openapi_schema is None:
        spec = FastAPI.openapi(app)
        schema = ComplaintCreate.model_json_schema(ref_template="#/components/schemas/{model}")
        spec["components"]["schemas"].update({"ComplaintCreate": schema, **schema.pop("$defs", {})})
        app.openapi_schema = spec
    return app.openapi_schema


# Answers a shared cache or the browser may keep: public pages, public data and the static files, unless the
# address carries a case secret. Every other answer is `no-store`, whatever its status: staff pages and data,
# the citizen's own case (its address or form carries `kunci`), the complaint form (its CSRF token).
CACHEABLE_PATHS = ("/static/", "/cari", "/kasus/", "/kinerja", "/api/v1/public/", "/api/v1/categories",
                   "/api/v1/regions", "/open311/v2/services")


def cacheable(scope: Scope) -> bool:
    if scope["method"] not in ("GET", "HEAD") or not scope["path"].startswith(CACHEABLE_PATHS):
        return False
    query = scope.get("query_string", b"").decode("latin-1")
    return not any(name.strip().lower() == "kunci" for name, _ in parse_qsl(query, keep_blank_values=True))


def session_keys(keys: KeyRing) -> list[bytes]:
    """The session cookie's keys, as itsdangerous takes them: the one that signs last. Legacy: a cookie signed
    with a listed root itself (before purpose keys) is accepted too, until it expires."""
    return [*reversed(keys.legacy_keys()), *reversed(keys.verifying_keys(Purpose.SESSION))]


class KeyedSessionMiddleware(SessionMiddleware):
    """Starlette's signed session cookie, with several keys: it signs with the last of `keys` and accepts a
    cookie signed with any of them (Starlette's own takes one secret, as a string)."""

    def __init__(self, app: ASGIApp, keys: list[bytes], **options) -> None:
        super().__init__(app, secret_key="unused", **options)  # noqa: S106 - its one-key signer is replaced
        self.signer = itsdangerous.TimestampSigner(keys)


class SecurityHeaders:
    """Headers every answer carries. No referrer ever leaves: a tracking link holds the case's secret.
    `Cache-Control: no-store` on every answer but the cacheable ones (above); HSTS over HTTPS (the scheme as
    uvicorn sees it: behind a proxy it trusts, `X-Forwarded-Proto`)."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy",
         b"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ]
    HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
    NO_STORE = (b"cache-control", b"no-store")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*self.HEADERS, *([self.HSTS] if scope.get("scheme") == "https" else [])]
        keep = cacheable(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not keep:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"] + [self.NO_STORE]
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's check of the Host header (400 for a host not named), except on the paths that probes and
    scrapers call by a pod's address."""

    OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class BodyLimit:
    """Refuse a request body larger than `max_bytes` before reading it (three photos and the form)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            too_big = length is not None and (not length.isdigit() or int(length) > self.max_bytes)
            if too_big or (length is None and headers.get(b"transfer-encoding")):
                status = 413 if too_big else 411
                body = b'{"detail":"Kiriman terlalu besar / request too large"}' if too_big else \
                    b'{"detail":"Content-Length required"}'
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def http_error(request: Request, exc: StarletteHTTPException):
    """Pages get a page in the visitor's language; the API keeps its JSON errors."""
    if request.url.path.startswith(("/api/", "/healthz", "/readyz", "/static/", "/open311/", "/metrics")):
        return await http_exception_handler(request, exc)
    from api.i18n import translator

    t = translator(request.session.get("lang", "id") if "session" in request.scope else "id")
    message = t("error.csrf") if exc.detail == "csrf" else str(exc.detail)
    return web.render(request, "error.html", exc.status_code, message=message)
