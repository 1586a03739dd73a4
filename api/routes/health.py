"""Liveness (the process answers) and readiness (Kafka and Elasticsearch answer)."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ServicesDep
from api.routes.responses import JSON

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    kafka: str  # "ok", or what is wrong
    elasticsearch: str


@router.get("/readyz", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "Kafka or Elasticsearch is not reachable; the "
                                                                "fields say which"}})
async def readyz(services: ServicesDep) -> JSON:
    kafka, es = await asyncio.gather(_kafka(services), _elasticsearch(services))
    ready = kafka == "ok" and es == "ok"
    return JSON({"status": "ready" if ready else "not ready", "kafka": kafka, "elasticsearch": es},
                        status_code=200 if ready else 503)


async def _kafka(services) -> str:
    try:
        found = await asyncio.wait_for(
            asyncio.to_thread(services.producer.topic_exists, services.settings.topics.submissions),
            CHECK_TIMEOUT_S,
        )
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
        return f"unreachable: {exc!r}"[:300]
    return "ok" if found else "topic missing"


async def _elasticsearch(services) -> str:
    try:
        health = await services.es.cluster.health(timeout="2s", request_timeout=CHECK_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {exc!r}"[:300]
    return "ok" if health["status"] in ("green", "yellow") else f"cluster {health['status']}"
