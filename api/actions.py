"""Sending a command on behalf of a caller, and waiting (bounded) to see what became of it."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from domain import events as ev
from domain.case import Case
from domain.commands import Command
from domain.events import Actor
from producers.kafka import NotConfirmed
from search.cases import get_case

_command = TypeAdapter(Command)
UNAVAILABLE = (
    "Tindakan belum dapat disimpan, silakan coba lagi sebentar lagi. / "
    "Your action could not be recorded yet; please try again shortly."
)


def build_command(case_id: str, actor: Actor, body: dict[str, Any], now_iso: str) -> Command:
    """The command a caller asked for, with the actor taken from their credentials, never the body."""
    fields = {k: v for k, v in body.items() if k not in ("actor", "case_id", "issued_at", "secret")}
    fields.setdefault("command_id", f"c-{secrets.token_hex(12)}")
    try:
        return _command.validate_python({**fields, "case_id": case_id, "actor": actor.model_dump(),
                                         "issued_at": now_iso})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("body", *[p for p in err["loc"] if p not in (fields.get("type"),)])}
             for err in exc.errors(include_url=False)]
        ) from None


async def send_command(services, command: Command) -> None:
    try:
        await services.commands.send(command)
    except NotConfirmed as exc:
        raise HTTPException(503, UNAVAILABLE, headers={"Retry-After": "10"}) from exc


async def await_outcome(services, case_id: str, command_id: str, timeout_s: float) -> tuple[Case | None, str | None]:
    """Poll the case (realtime get) until the command shows in it: (case, refusal reason or None).
    (None, None) when time ran out first: the command is still on its way."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        case = await get_case(services.es, services.settings.indices.cases, case_id)
        if case is not None and command_id in case.command_ids:
            entry = next(t for t in case.timeline if t.command_id == command_id)
            return case, entry.text if entry.type == ev.COMMAND_REJECTED else None
        await asyncio.sleep(0.1)
    return None, None
