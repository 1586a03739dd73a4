"""The API's Prometheus series (prometheus-client), served at `GET /metrics`.

Requests and their latency by route template (`/api/v1/complaints/{tracking_id}`, never the filled-in
path: ids would explode the series and could be personal), method and status; submissions by outcome.
With several uvicorn worker processes each keeps its own counters (scrape each, or run one process per
container as the Kubernetes manifests do).
"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("aduan_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram("aduan_http_request_duration_seconds", "Time to answer an HTTP request", ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SUBMISSIONS = Counter("aduan_submissions", "Complaints submitted, by outcome: accepted (Kafka confirmed), refused "
                      "(invalid or over the rate limit), unavailable (Kafka did not confirm: 503)", ["outcome"])

for _outcome in ("accepted", "refused", "unavailable"):
    SUBMISSIONS.labels(_outcome)

# The routes that take a complaint (JSON API, the web form, Open311): their answers are the outcomes.
SUBMISSION_ROUTES = {("POST", "/api/v1/complaints"), ("POST", "/"), ("POST", "/open311/v2/requests.{fmt}")}
router = APIRouter(include_in_schema=False)


def outcome(status: int) -> str:
    return "unavailable" if status == 503 else "accepted" if status < 400 else "refused"


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Counts every HTTP answer and its time, labelled by the route that served it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "unmatched")
            REQUESTS.labels(path, scope["method"], str(status[0])).inc()
            LATENCY.labels(path, scope["method"]).observe(time.perf_counter() - started)
            if (scope["method"], path) in SUBMISSION_ROUTES:
                SUBMISSIONS.labels(outcome(status[0])).inc()
