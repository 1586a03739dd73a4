"""Personal data on request (UU PDP 27/2022): the access request's export of everything Aduan holds about a
case's reporter, each part with where it comes from; and the command line's side of the orphan photo sweep.

The export reads the case as the officer workspace does, from the `cases` index (its document carries the
whole case state, rebuilt from the log), the photo files from the media folder, and the case's audit trail;
it records itself (`privacy.export`) before anything is handed out, so no export goes unrecorded.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError

from api.accounts.audit import EXPORT, AuditLog
from api.photos import PhotoStore
from config.connections import es_options
from config.settings import Settings
from domain.case import Case
from domain.ids import normalize_case_id
from domain.public import publishable
from search.documents import case_from_document


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
