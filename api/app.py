"""The FastAPI application: wiring of services and routers."""

from __future__ import annotations

from contextlib import asynccontextmanager

from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI

from aduan.jurisdiction_file import load_jurisdiction
from aduan.settings import Settings
from api.deps import Services
from api.routes import complaints, health, officer, reference
from producers.intake import CommandSender, Intake
from producers.kafka import EventProducer
from search.cases import BatchingCaseWriter


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        producer = EventProducer(settings.kafka_bootstrap, settings.kafka_confirm_timeout_s)
        es = AsyncElasticsearch(settings.es_hosts, request_timeout=10)
        app.state.services = Services(
            settings=settings,
            jurisdiction=jurisdiction,
            producer=producer,
            intake=Intake(producer, settings.topics.submissions, jurisdiction.case_prefix),
            es=es,
            receipts=BatchingCaseWriter(es, settings.indices.cases),
            commands=CommandSender(producer, settings.topics.commands),
        )
        try:
            yield
        finally:
            producer.close()
            await es.close()

    app = FastAPI(title="Aduan", version="0.1.0", lifespan=lifespan,
                  description="Pengaduan masyarakat / public complaints — " + jurisdiction.name)
    app.include_router(health.router)
    app.include_router(reference.router)
    app.include_router(complaints.router)
    app.include_router(officer.router)
    return app
