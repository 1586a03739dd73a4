"""Accepting a complaint from any web channel (JSON, multipart, the HTML form): one path for all."""

from __future__ import annotations

import asyncio
import logging

from fastapi.exceptions import RequestValidationError

from api.accounts import SubmissionConflict
from api.auth import citizen_secret
from api.photos import MAX_PHOTOS, PhotoRejected, photo_id_of
from api.schemas import ComplaintAccepted, ComplaintCreate
from config.keys import Purpose
from domain.case import apply
from domain.complaint import Channel, Complaint, fingerprint
from domain.jurisdiction import Jurisdiction
from producers.kafka import NotConfirmed, Overloaded

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "Pengaduan belum dapat disimpan, silakan coba lagi sebentar lagi. / "
    "Your complaint could not be recorded yet; please try again shortly."
)
BUSY = (
    "Sistem sedang sangat sibuk dan pengaduan Anda belum disimpan; silakan coba lagi sebentar lagi. / "
    "The system is very busy and your complaint was not recorded; please try again shortly."
)


class SubmissionUnavailable(Exception):
    """Kafka did not confirm: the citizen is told so, never a receipt for a lost complaint."""


def _invalid(field: tuple, value, msg: str) -> dict:
    return {"type": "value_error", "loc": ("body", *field), "msg": msg, "input": value}


def check_codes(body: ComplaintCreate, jurisdiction: Jurisdiction) -> None:
    """Codes must name this jurisdiction's category, regency and district: 422 naming the field."""
    errors = []
    if jurisdiction.category(body.category) is None:
        errors.append(_invalid(("category",), body.category, "kategori tidak dikenal / unknown category"))
    regency = jurisdiction.regency(body.regency)
    if regency is None:
        errors.append(_invalid(("regency",), body.regency, "kabupaten/kota tidak dikenal / unknown regency"))
    elif body.district is not None and body.district not in {d.code for d in regency.districts}:
        errors.append(_invalid(("district",), body.district, "kecamatan tidak dikenal / unknown district"))
    category = jurisdiction.category(body.category)
    if category is not None:
        known = {a.code: a for a in category.attributes}
        for code, answer in body.attributes.items():
            problem = known[code].invalid(answer) if code in known else "this category asks for no such attribute"
            if problem:
                errors.append(_invalid(("attributes", code), answer, problem))
        for code, attribute in known.items():
            if attribute.required and not body.attributes.get(code):
                errors.append(_invalid(("attributes", code), None, "wajib diisi / required"))
    if errors:
        raise RequestValidationError(errors)


class DuplicateRequestId(Exception):
    """The client's `client_request_id` was used before for other content (answered 409)."""


DUPLICATE_REQUEST_ID = (
    "client_request_id ini sudah dipakai untuk pengaduan lain; kirim pengaduan baru dengan id baru. / "
    "This client_request_id was already used for a different complaint; send new content with a new id."
)


async def accept_complaint(services, body: ComplaintCreate, uploads: list[tuple[str, bytes]],
                           channel: Channel, client: str | None = None) -> ComplaintAccepted:
    """Check, store the photos, put the complaint on Kafka and wait for its confirmation.

    With a `client_request_id` the case id comes from the id, its scope (channel and client) and the content
    together: the same submission again is the same case (and the same secret), other content is another
    case, so an acknowledged submission is never taken for a repeat and dropped. On the JSON API the id is
    also bound to its first content, so reusing it for other content answers 409 (DuplicateRequestId); the
    web form's hidden id is not a promise of the citizen's, so there other content simply makes a new case."""
    check_codes(body, services.jurisdiction)
    if len(uploads) > MAX_PHOTOS:
        raise RequestValidationError([_invalid(("photos",), len(uploads),
                                               f"paling banyak {MAX_PHOTOS} foto / at most {MAX_PHOTOS} photos")])
    complaint = Complaint(**body.model_dump(), channel=channel, client=client,
                          photos=tuple(photo_id_of(data) for _, data in uploads))
    content = fingerprint(complaint)
    scope = f"{channel}/{client or ''}"
    request_id = body.client_request_id
    case_id = services.intake.case_id_for(f"{scope}/{request_id}/{content}" if request_id else None)
    if not await asyncio.to_thread(services.intake.claim, case_id):
        # The same submission as a case whose personal data was erased: a case of its own, never that one's
        # (whose photos and texts are gone for good); its retries are one case too.
        case_id = services.intake.case_id_for(f"{scope}/{request_id}/{content}/after-erasure")
        await asyncio.to_thread(services.intake.claim, case_id)
    for i, (filename, data) in enumerate(uploads):
        try:
            await asyncio.to_thread(services.photos.save, case_id, data, filename)
        except PhotoRejected as exc:
            raise RequestValidationError([_invalid(("photos", i), filename, str(exc))]) from None
    if request_id and channel == "api" and services.accounts is not None:
        try:
            await asyncio.to_thread(services.accounts.claim_submission_key, scope, request_id, content, case_id)
        except SubmissionConflict:
            raise DuplicateRequestId(DUPLICATE_REQUEST_ID) from None
    try:
        receipt = await services.intake.submit(case_id, complaint)
    except Overloaded as exc:
        log.warning("submission refused, Kafka is slow: %s", exc)
        raise SubmissionUnavailable(BUSY) from exc
    except NotConfirmed as exc:
        log.error("submission of case %s not confirmed by Kafka: %s", case_id, exc)
        raise SubmissionUnavailable(UNAVAILABLE) from exc
    services.receipts.schedule(apply(None, receipt.event))  # Elasticsearch is not on the 202's path
    if uploads:  # a case now: its photos are no orphans (api/photo_sweep.py)
        await asyncio.to_thread(services.photos.confirm, case_id)
    secret = citizen_secret(services.keys.purpose_key(Purpose.CASE_SECRET), receipt.case_id)
    base = services.settings.base_url
    return ComplaintAccepted(
        tracking_id=receipt.case_id,
        status="received",
        status_url=f"{base}/api/v1/complaints/{receipt.case_id}",
        secret=secret,
        tracking_url=f"{base}/lacak/{receipt.case_id}?kunci={secret}",
    )

