"""Personal data on request (UU PDP 27/2022): the access request's export of everything Aduan holds about a
case's reporter, each part with where it comes from; the erasure of a case's personal data (by hand, and by the
worker's retention job); and the command line's side of the orphan photo sweep.

The export reads the case as the officer workspace does, from the `cases` index (its document carries the
whole case state, rebuilt from the log), the photo files from the media folder, and the case's audit trail;
it records itself (`privacy.export`) before anything is handed out, so no export goes unrecorded.

An erasure (`Eraser.erase`) goes in this order: read the case (its public texts, if none are recorded), record
the erasure (`privacy.erase`), destroy the case's data key (every personal field in Kafka is then unreadable for
good), delete its photos and idempotency keys, send the `erase_personal_data` command (from which the case agent
records `case.personal_data_erased` and the projections rewrite the case as erased), and drop the case from
older copies of the `cases` index. Until the command is through, the views still show what the index holds:
each step may be done again, so an erasure that stopped half-way is finished by running it again, or by the
retention job, which looks for destroyed keys whose case the index does not show erased (`unfinished`).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError
from sqlalchemy import delete

from api.accounts.audit import ERASE, EXPORT, AuditLog
from api.accounts.models import SubmissionKey
from api.accounts.store import migrate
from api.photos import PhotoStore
from config.connections import engine_for, es_options
from config.settings import Settings
from domain.case import FINAL, Case
from domain.commands import ErasePersonalData
from domain.events import Actor
from domain.ids import normalize_case_id
from domain.public import public_texts, publishable
from producers.intake import CommandSender
from producers.kafka import EventProducer
from producers.sealing import Sealer, SqlDataKeys
from search.documents import case_from_document
from search.indices import index_version

log = logging.getLogger(__name__)
RETENTION = "retention"  # the actor of the retention job's erasures, in the audit trail and the log


class PrivacyError(Exception):
    """A request that cannot be answered, said in plain words (an unknown case, an unreachable index)."""


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (a container): its number then
        return f"uid {os.getuid()}"


def case_id_of(tracking_id: str) -> str:
    case_id = normalize_case_id(tracking_id)
    if case_id is None:
        raise PrivacyError(f"{tracking_id!r} is not a tracking id (e.g. BKL-ABCDE-12345)")
    return case_id


async def read_case_document(settings: Settings, case_id: str) -> tuple[Case, dict[str, Any], bool]:
    """(the case, where its document is, whether the public index holds its scrubbed record)."""
    alias = settings.indices.cases
    es = AsyncElasticsearch(**es_options(settings), request_timeout=10)
    try:
        try:
            found = await es.get(index=alias, id=case_id, realtime=True)
        except NotFoundError as exc:
            if isinstance(exc.body, dict) and exc.body.get("found") is False:
                raise PrivacyError(f"no case {case_id} in the index {alias}: check the tracking id") from None
            raise PrivacyError(f"the index {alias} does not exist at {settings.es_url} (is ADUAN_INDEX_PREFIX "
                               "right? has `aduan bootstrap` run?)") from None
        except EsConnectionError as exc:
            raise PrivacyError(f"Elasticsearch is not reachable at {settings.es_url}: {exc.message}") from None
        except Exception as exc:  # noqa: BLE001 - anything else from the cluster, said as it is
            raise PrivacyError(f"Elasticsearch at {settings.es_url} could not answer: {exc}") from None
        case = case_from_document(found["_source"])
        public = False
        if publishable(case):
            try:
                public = bool(await es.exists(index=settings.indices.public_cases, id=case_id))
            except Exception:  # noqa: BLE001 - only a note of the export; the case itself was read
                public = publishable(case)
        where = {"store": "elasticsearch", "index": alias, "concrete_index": found["_index"], "document": case_id,
                 "version": found.get("_version"), "url": settings.es_url}
        return case, where, public
    finally:
        await es.close()


def build_export(case: Case, where: dict[str, Any], public: bool, settings: Settings, photos: PhotoStore,
                 audit_entries: list[dict[str, Any]], exported_by: str, now: datetime) -> dict[str, Any]:
    """The export as one JSON-ready object. Each part names its source."""
    c = case.complaint
    topics = settings.topics
    document = f"{where['index']} ({where['concrete_index']}) document {where['document']}"
    photo_items = []
    for photo_id in c.photos:
        path = photos.path(case.case_id, photo_id)
        photo_items.append({"photo_id": photo_id, "path": str(path or photos.root / case.case_id / f"{photo_id}.jpg"),
                            "stored": path is not None, "size_bytes": path.stat().st_size if path else None})
    return {
        "tracking_id": case.case_id,
        "exported_at": now.isoformat(),
        "exported_by": exported_by,
        "complaint": {
            "source": f"{document}: state.complaint, the complaint.submitted event of the Kafka topic "
                      f"{topics.events} as submitted",
            "submitted_at": case.submitted_at.isoformat(),
            "reporter": c.reporter.model_dump(mode="json"),
            "anonymous": c.anonymous,
            "confidential": c.confidential,
            "channel": c.channel,
            "client": c.client,
            "client_request_id": c.client_request_id,
            "category": c.category,
            "regency": c.regency,
            "district": c.district,
            "address": c.address,
            "lat": c.lat,
            "lon": c.lon,
            "title": c.title,
            "description": c.description,
            "attributes": dict(c.attributes),
            "media_url": c.media_url,
            "photos": list(c.photos),
        },
        "case": {
            "source": f"{document}: state",
            "status": case.status.value,
            "personal_data_erased_at": case.erased_at.isoformat() if case.erased_at else None,
            "agency": case.agency,
            "updated_at": case.updated_at.isoformat(),
            "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "rating": case.rating,
            "rating_comment": case.rating_comment,
        },
        "citizen_texts": {
            "source": f"{document}: state.timeline, the reporter's own entries (answers, rating comment, reasons "
                      "for reopening)",
            "items": [{"seq": t.seq, "type": t.type, "occurred_at": t.occurred_at.isoformat(), "text": t.text}
                      for t in case.timeline if t.actor.role == "citizen" and t.text],
        },
        "photos": {
            "source": f"files under {photos.root / case.case_id} (re-encoded JPEG, without EXIF or GPS)",
            "items": photo_items,
        },
        "audit": {
            "source": "the accounts database, table audit_log (who saw or handled this case's personal data)",
            "items": audit_entries,
        },
        "elsewhere": [
            f"Kafka topics {topics.submissions} and {topics.events} hold the same complaint (the log the index is "
            "rebuilt from); nothing in them differs from the above",
            f"the public index {settings.indices.public_cases} "
            + ("holds this case's public record: its texts scrubbed of personal data, no contact, no address"
               if public else "holds nothing of this case"),
        ],
    }


async def export_case(settings: Settings, tracking_id: str, audit: AuditLog, actor: str, reason: str | None,
                      out: Path | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Read, record `privacy.export`, and return the export (written by the caller)."""
    now = now or datetime.now(UTC)
    case_id = case_id_of(tracking_id)
    case, where, public = await read_case_document(settings, case_id)
    entries = [e.as_json() for e in audit.entries(case_id=case_id, limit=10_000)]
    photos = PhotoStore(settings.media_dir)
    export = build_export(case, where, public, settings, photos, entries, actor, now)
    detail = f"command line, os user {os_user()}" + (f", to {out}" if out else ", to standard output")
    audit.record(actor, EXPORT, case_id, reason=reason, detail=detail, now=now)
    return export


def write_private(path: Path, text: str) -> None:
    """Write `text` to a new file `path` readable by its owner only (0600). An existing file, or a symbolic link
    planted there, is refused (FileExistsError): an export never overwrites or follows anything."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


async def sweep_photos(settings: Settings, dry_run: bool, say) -> Any:
    """`aduan privacy sweep-photos`: one sweep of the media folder against the `cases` index."""
    from api.photo_sweep import sweep_orphan_photos

    es = AsyncElasticsearch(**es_options(settings), request_timeout=30)
    try:
        return await sweep_orphan_photos(es, settings.indices.cases, settings.media_dir,
                                         settings.photo_orphan_grace_s, dry_run=dry_run, say=say)
    finally:
        await es.close()


# -- erasure ------------------------------------------------------------------------------------------

PENDING_WINDOW = timedelta(days=30)  # unfinished erasures are looked for among keys destroyed this recently
PENDING_GRACE = timedelta(minutes=2)  # ... and not before the workers had time to show them


@dataclass(frozen=True)
class Erased:
    case_id: str
    key: Literal["destroyed", "destroyed before", "none"]  # none: the case never had one (its log is in clear)
    photos_deleted: int
    shown: bool  # the cases index shows the case erased (False: not yet; the workers will)

    def summary(self) -> str:
        key = {"destroyed": "data key destroyed", "destroyed before": "data key destroyed before",
               "none": "no data key (a case logged before sealing: its records in Kafka stay readable there, "
                       "README \"Erasure\")"}[self.key]
        return (f"{self.case_id}: {key}, {self.photos_deleted} photo(s) deleted, "
                + ("the cases index shows it erased" if self.shown else
                   "the erasure is on Kafka; the cases index will show it once the workers have read it"))


class Eraser:
    """Erases cases' personal data for one command or one run of the retention job (see the module's text)."""

    def __init__(self, settings: Settings, audit: AuditLog | None = None) -> None:
        self.settings = settings
        self._engine = engine_for(settings.database_url)
        migrate(self._engine)
        self.audit = audit or AuditLog(self._engine)
        self.keys = SqlDataKeys(self._engine)
        self.photos = PhotoStore(settings.media_dir)
        self._producer = EventProducer.from_settings(settings, client_id="aduan-privacy")
        self._sender = CommandSender(self._producer, settings.topics.commands, Sealer(self.keys))
        self._es = AsyncElasticsearch(**es_options(settings), request_timeout=10)

    async def close(self) -> None:
        await self._es.close()
        await asyncio.to_thread(self._producer.close)
        self._engine.dispose()

    def check_media(self) -> None:
        """The photos must be reachable from here, or an erasure would leave them behind unnoticed."""
        if not self.photos.root.is_dir():
            raise PrivacyError(f"the media folder {self.photos.root} (ADUAN_MEDIA_DIR) is not here: erase where "
                               "the photos are stored (the API's host or pod)")

    async def erase(self, case_id: str, actor: str, reason: str, basis: Literal["request", "retention"],
                    detail: str, wait_s: float = 0.0, now: datetime | None = None, case: Case | None = None
                    ) -> Erased:
        """`case`: the case as the index has it, when the caller read it already."""
        now = now or datetime.now(UTC)
        self.check_media()
        if case is None:
            case = await self._case(case_id)  # read before the key goes: the public texts, if none are recorded
        await asyncio.to_thread(self.audit.record, actor, ERASE, case_id, reason, detail, now)
        had = await asyncio.to_thread(self.keys.key_state, case_id)
        await asyncio.to_thread(self.keys.erase, case_id)
        photos = await asyncio.to_thread(self.photos.delete_case, case_id)
        await asyncio.to_thread(self._forget_submission, case_id)
        await self._announce(case_id, case, actor, basis, now)
        await self._drop_stale_copies(case_id)
        shown = await self._shown_erased(case_id, wait_s)
        key = {"live": "destroyed", "erased": "destroyed before", "none": "none"}[had]
        log.info("personal data of %s erased (%s): data key %s, %d photo(s)", case_id, basis, key, photos)
        return Erased(case_id, key, photos, shown)  # type: ignore[arg-type]

    async def finish(self, case_id: str, now: datetime | None = None) -> None:
        """An erasure whose command never went through (the key is gone, the index does not show it): the
        command again (the same id: decided once however often it is sent)."""
        await self._announce(case_id, await self._case(case_id), RETENTION, RETENTION, now or datetime.now(UTC))
        await self._drop_stale_copies(case_id)

    async def _case(self, case_id: str) -> Case | None:
        try:
            found = await self._es.get(index=self.settings.indices.cases, id=case_id, realtime=True)
        except NotFoundError:
            return None
        return case_from_document(found["_source"])

    async def _announce(self, case_id: str, case: Case | None, actor: str, basis: str, now: datetime) -> None:
        public = public_texts(case) if case is not None and publishable(case) and case.published_text is None \
            and case.erased_at is None else None
        role = "system" if basis == RETENTION else "admin"
        # One id per case: the same erasure sent again (finished after a failure) is decided once.
        await self._sender.send(ErasePersonalData(command_id=f"erase-{case_id}", case_id=case_id,
                                                  actor=Actor(role=role, id=actor), issued_at=now, basis=basis,
                                                  public=public))

    async def _drop_stale_copies(self, case_id: str) -> None:
        """Older concrete indices of the `cases` alias (kept by a rebuild without --delete-old) hold the case as
        it was: its document goes from them. Newer ones (a rebuild under way) are rebuilt from the log, erased."""
        alias = self.settings.indices.cases
        try:
            current = await self._es.indices.get_alias(name=alias)
            found = await self._es.indices.get(index=f"{alias}-v*", allow_no_indices=True, ignore_unavailable=True)
        except NotFoundError:
            return
        newest = max((index_version(name) or 0 for name in current), default=0)
        for name in found:
            if name not in current and 0 < (index_version(name) or 0) < newest:
                with contextlib.suppress(NotFoundError):
                    await self._es.delete(index=name, id=case_id, refresh=False)

    def _forget_submission(self, case_id: str) -> None:
        """The idempotency keys of the case's submission (a hash of its content, among them) go too."""
        with self._engine.begin() as connection:
            connection.execute(delete(SubmissionKey).where(SubmissionKey.case_id == case_id))

    async def _shown_erased(self, case_id: str, wait_s: float) -> bool:
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            with contextlib.suppress(Exception):  # not shown yet, whatever the reason: said in the summary
                found = await self._es.get(index=self.settings.indices.cases, id=case_id, realtime=True,
                                           source_includes=["erased_at"])
                if found["_source"].get("erased_at"):
                    return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.5)

    async def due(self, now: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The cases whose personal data the retention rule says to erase now, oldest closed first: closed,
        rejected or merged more than ADUAN_PERSONAL_DATA_RETENTION_DAYS ago, not erased yet."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(days=self.settings.personal_data_retention_days)
        found = await self._es.search(
            index=self.settings.indices.cases, size=limit or self.settings.retention_batch,
            query={"bool": {"filter": [{"terms": {"status": sorted(s.value for s in FINAL)}},
                                       {"range": {"closed_at": {"lte": cutoff.isoformat()}}}],
                            "must_not": [{"exists": {"field": "erased_at"}}]}},
            sort=[{"closed_at": "asc"}, {"case_id": "asc"}], source_includes=["case_id", "status", "closed_at"])
        return [{"tracking_id": h["_source"]["case_id"], "status": h["_source"]["status"],
                 "closed_at": h["_source"]["closed_at"]} for h in found["hits"]["hits"]]

    async def unfinished(self, now: datetime | None = None) -> list[str]:
        """Erasures begun but not seen through: a key destroyed (in the last PENDING_WINDOW, at least
        PENDING_GRACE ago) of a case the index does not show erased."""
        now = now or datetime.now(UTC)
        ids = await asyncio.to_thread(self.keys.erased_between, now - PENDING_WINDOW, now - PENDING_GRACE)
        out = []
        for start in range(0, len(ids), 500):
            found = await self._es.mget(index=self.settings.indices.cases, ids=ids[start:start + 500],
                                        source_includes=["erased_at"], realtime=True)
            out += [d["_id"] for d in found["docs"] if d.get("found") and not d["_source"].get("erased_at")]
        return out


async def erase_case(settings: Settings, tracking_id: str, actor: str, reason: str, wait_s: float,
                     audit: AuditLog | None = None) -> Erased:
    """`aduan privacy erase`: one case, at a data subject's (or an authority's) request."""
    case_id = case_id_of(tracking_id)
    # An unknown tracking id is refused here, in plain words, before anything is done.
    case, _, _ = await read_case_document(settings, case_id)
    eraser = Eraser(settings, audit)
    try:
        return await eraser.erase(case_id, actor, reason, "request",
                                  f"command line, os user {os_user()}", wait_s=wait_s, case=case)
    finally:
        await eraser.close()


async def due_cases(settings: Settings, limit: int) -> list[dict[str, Any]]:
    """`aduan privacy due`: what the retention job would do now: erasures to finish, then cases due."""
    eraser = Eraser(settings)
    try:
        unfinished = [{"tracking_id": case_id, "status": None, "closed_at": None, "erasure": "unfinished"}
                      for case_id in await eraser.unfinished()]
        return unfinished + [{**case, "erasure": "due"} for case in await eraser.due(limit=limit)]
    except Exception as exc:  # noqa: BLE001 - said in plain words by the command
        raise PrivacyError(f"the cases index {settings.indices.cases} could not be searched at "
                           f"{settings.es_url}: {exc}") from None
    finally:
        await eraser.close()


class RetentionJob:
    """The worker's retention job (README, "Personal data"): each run finishes the erasures that stopped half-way,
    then erases the cases that are due, at most ADUAN_RETENTION_BATCH of them, the same way as `aduan privacy
    erase`. A case that fails is logged and left for the next run; the others go on. Registered on the leader
    worker only."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.every_s = settings.retention_every_s

    async def __call__(self) -> int:
        days = self.settings.personal_data_retention_days
        eraser = await asyncio.to_thread(Eraser, self.settings)  # opens the database: off the worker's loop
        erased = failed = 0
        try:
            eraser.check_media()
            for case_id in await eraser.unfinished():
                try:
                    await eraser.finish(case_id)
                except Exception:  # noqa: BLE001 - this case at the next run; the others now
                    failed += 1
                    log.exception("retention: the erasure of %s could not be finished", case_id)
            for case in await eraser.due():
                try:
                    await eraser.erase(case["tracking_id"], RETENTION,
                                       f"retention: {case['status']} at {case['closed_at']}, kept {days} days",
                                       RETENTION, "worker retention job")
                    erased += 1
                except Exception:  # noqa: BLE001 - this case at the next run; the others now
                    failed += 1
                    log.exception("retention: the personal data of %s could not be erased", case["tracking_id"])
        finally:
            await eraser.close()
            if erased or failed:
                log.info("retention: personal data of %d case(s) erased (closed over %d days ago), %d failed",
                         erased, days, failed)
        return erased
