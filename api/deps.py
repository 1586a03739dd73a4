"""What routes need, as `Annotated` aliases, so each route states its needs in its signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from elasticsearch import AsyncElasticsearch
from fastapi import Depends, Request

from api.accounts import AccountStore, AuditLog
from api.photos import PhotoStore
from api.ratelimit import AddressLimiter
from api.receipts import Receipts
from config.keys import KeyRing
from config.settings import Settings
from domain.jurisdiction import Jurisdiction
from producers.intake import CommandSender, Intake
from producers.kafka import EventProducer


@dataclass
class Services:
    settings: Settings
    keys: KeyRing  # read once at start (config/keys.py)
    jurisdiction: Jurisdiction
    producer: EventProducer
    intake: Intake
    es: AsyncElasticsearch
    receipts: Receipts  # first documents, written beside the 202
    commands: CommandSender
    photos: PhotoStore
    limiter: AddressLimiter  # anonymous submissions
    accounts: AccountStore | None = None
    audit: AuditLog | None = None  # the audit trail of personal data, in the accounts database


def _services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]


def _jurisdiction(request: Request) -> Jurisdiction:
    return request.app.state.services.jurisdiction


JurisdictionDep = Annotated[Jurisdiction, Depends(_jurisdiction)]
