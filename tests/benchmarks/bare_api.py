"""A bare FastAPI app, the intake benchmark's ceiling for the API: `POST /api/v1/complaints` reads the body as
Aduan's API does (JSON, `api.schemas.ComplaintCreate`), produces it with the same producer and its settings
(`producers.kafka.EventProducer.from_settings`: acks=all, idempotent, linger 5 ms, the same backpressure) to a
topic of its own, and answers 202 once Kafka confirmed it. Nothing else: no rate limit, no case id from the
request id, no accounts database, no receipt in Elasticsearch.

Served by uvicorn in a subprocess (tests.benchmarks.intake starts it):
    ADUAN_...=... BENCH_BARE_TOPIC=T python -m uvicorn tests.benchmarks.bare_api:create_app --factory
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.schemas import ComplaintCreate
from config.settings import Settings
from producers.kafka import EventProducer, NotConfirmed


def create_app() -> FastAPI:
    settings = Settings()
    topic = os.environ["BENCH_BARE_TOPIC"]
    producer = EventProducer.from_settings(settings, client_id="aduan-bench-bare-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        producer.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz", response_model=None)
    async def healthz() -> dict:
        return {"ok": True}

    @app.post("/api/v1/complaints", status_code=202, response_model=None)
    async def submit(request: Request) -> dict | JSONResponse:
        try:
            body = ComplaintCreate.model_validate(await request.json())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        key = uuid.uuid4().hex
        try:
            await producer.send(topic, key, body.model_dump_json().encode())
        except NotConfirmed as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return {"tracking_id": key, "status": "received"}

    return app
