"""Open311 GeoReport v2 at `/open311/v2/`: services, service definitions, requests (GET and POST),
one request, tokens; in JSON and in XML (`.json` / `.xml` at the end of each path).

A request posted here is a complaint like any other (channel `open311`): the same checks, the same case
agent, the same redaction when it is read back. Reading requests needs no key and then shows exactly what
the transparency search shows (published cases, from the public index); with a key a client also reads
the requests it posted itself while they are open (README, "Who sees what"). Confidential ones never; the
location is given as district and regency names, not as a point. Posting needs an API key
(`aduan open311 add-key NAME`).

Where a complaint needs a place, Open311 has a point or an address; this jurisdiction routes by district,
so every service asks for the `wilayah` attribute (a district code, or a whole regency's), listed with
its values in each service definition, beside the category's own attributes. Errors are the
specification's list of `code` and `description`, with status 400, 403 or 404.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import ServicesDep
from api.routes.public import names
from api.routes.responses import BODY, JSON, open311
from api.schemas import ComplaintCreate
from api.submission import SubmissionUnavailable, accept_complaint
from domain.case import Case, Status
from domain.ids import normalize_case_id
from domain.jurisdiction import Attribute, Category, Jurisdiction
from domain.public import PUBLIC_STATUSES, public_record
from search.documents import case_from_document
from search.public import MAX_WINDOW, SOURCE_EXCLUDES, get_public_case

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])
CLOSED = {Status.RESOLVED.value, Status.CLOSED.value, Status.REJECTED.value, Status.MERGED.value}
WILAYAH = "wilayah"
MAX_REQUESTS = 1000
PAGE_SIZE = 100
DEFAULT_SPAN = timedelta(days=90)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _xml(root: str, item: str | None, data: Any) -> bytes:
    """The specification's XML: a root element holding one `item` element per entry (or one object)."""
    def fill(parent: ET.Element, value: Any, name: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, list):
                    holder = ET.SubElement(parent, key)
                    for entry in inner:
                        fill(ET.SubElement(holder, key[:-1]), entry, key[:-1])
                else:
                    fill(ET.SubElement(parent, key), inner, key)
        else:
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            parent.text = _NOT_XML.sub("", text)  # control characters would make the whole feed unparseable

    top = ET.Element(root)
    for entry in (data if item else [data]):
        fill(ET.SubElement(top, item) if item else top, entry, item or root)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, data: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, data), status_code=status, media_type="text/xml; charset=utf-8")
    return JSON(data, status_code=status)


def error(fmt: str, status: int, description: str) -> Response:
    return answer(fmt if fmt in ("json", "xml") else "json", [{"code": status, "description": description}],
                  "errors", "error", status)


def _format(fmt: str) -> None:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, f"format {fmt!r} not supported: use .json or .xml")


def _jurisdiction(j: Jurisdiction, asked: str | None) -> None:
    if asked and asked != j.code:
        raise Open311Error(404, f"jurisdiction_id {asked!r} not found: this server serves {j.code!r}")


def _wilayah(j: Jurisdiction) -> dict[str, Any]:
    values = []
    for r in j.regencies:
        values.append({"key": r.code, "name": f"{r.name} (seluruh wilayah / whole regency)"})
        values += [{"key": d.code, "name": f"{d.name}, {r.name}"} for d in r.districts]
    return {"variable": True, "code": WILAYAH, "datatype": "singlevaluelist", "required": True,
            "datatype_description": "kode kecamatan (atau kabupaten/kota) / district (or regency) code",
            "order": 1, "description": "Kecamatan lokasi pengaduan / district of the problem", "values": values}


def _attribute(a: Attribute, order: int) -> dict[str, Any]:
    return {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
            "datatype_description": "", "order": order, "description": a.description,
            "values": [{"key": v.key, "name": v.name} for v in a.values]}


def _service(c: Category) -> dict[str, Any]:
    return {"service_code": c.code, "service_name": c.name, "description": c.description, "metadata": True,
            "type": "realtime", "keywords": c.name_en, "group": ""}


def _guard(fmt: str, handler):
    """Run `handler`, turning Open311Error into the specification's error answer."""
    async def run():
        try:
            _format(fmt)
            return await handler()
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)
    return run()


@router.get("/services.{fmt}", summary="GET services", responses=open311(404))
async def services_list(fmt: str, request: Request, services: ServicesDep) -> Response:
    async def handler():
        j = services.jurisdiction
        _jurisdiction(j, request.query_params.get("jurisdiction_id"))
        return answer(fmt, [_service(c) for c in j.categories], "services", "service")
    return await _guard(fmt, handler)


@router.get("/services/{service_code}.{fmt}", summary="GET service definition", responses=open311(404))
async def service_definition(service_code: str, fmt: str, request: Request, services: ServicesDep) -> Response:
    async def handler():
        j = services.jurisdiction
        _jurisdiction(j, request.query_params.get("jurisdiction_id"))
        category = j.category(service_code)
        if category is None:
            raise Open311Error(404, f"service_code {service_code!r} not found")
        attributes = [_wilayah(j)] + [_attribute(a, i) for i, a in enumerate(category.attributes, 2)]
        return answer(fmt, {"service_code": category.code, "attributes": attributes}, "service_definition", None)
    return await _guard(fmt, handler)


@router.post("/requests.{fmt}", summary="POST service request",
             responses=BODY | open311(400, 403, 404, 503))
async def post_request(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Form fields (application/x-www-form-urlencoded or multipart): api_key, service_code, lat & long or
    address_string, attribute[wilayah] and the service's own attribute[...], description, first_name,
    last_name, email, phone, media_url; jurisdiction_id optional."""
    async def handler():
        form = await request.form()
        field = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        j = services.jurisdiction
        _jurisdiction(j, field.get("jurisdiction_id"))
        client = await _client(services, field.get("api_key", ""))
        if client is None:
            raise Open311Error(403, "api_key missing, unknown or revoked")
        code = field.get("service_code", "")
        if not code:
            raise Open311Error(400, "service_code is required")
        category = j.category(code)
        if category is None:
            raise Open311Error(404, f"service_code {code!r} not found")
        lat, lon, address = field.get("lat"), field.get("long"), field.get("address_string") or None
        if not ((lat and lon) or address or field.get("address_id")):
            raise Open311Error(400, "a location is required: lat and long, or address_string")
        where = field.get(f"attribute[{WILAYAH}]", "")
        regency = j.regency(where[:5]) if where else None
        if regency is None or (len(where) > 5 and where not in {d.code for d in regency.districts}):
            raise Open311Error(400, f"attribute[{WILAYAH}] is required: a district or regency code of the service "
                                    "definition")
        attributes = {k[len("attribute["):-1]: v for k, v in field.items()
                      if k.startswith("attribute[") and k.endswith("]") and k != f"attribute[{WILAYAH}]" and v}
        name = " ".join(p for p in (field.get("first_name"), field.get("last_name")) if p) or None
        data = {"category": code, "description": field.get("description", ""), "regency": where[:5],
                "district": where if len(where) > 5 else None, "address": address,
                "lat": lat or None, "lon": lon or None, "attributes": attributes,
                "media_url": field.get("media_url") or None,
                "reporter": {"name": name, "phone": field.get("phone") or None, "email": field.get("email") or None}}
        try:
            accepted = await accept_complaint(services, ComplaintCreate.model_validate(data), [], channel="open311",
                                              client=client)
        except ValidationError as exc:
            raise Open311Error(400, _reasons(exc.errors())) from None
        except RequestValidationError as exc:
            raise Open311Error(400, _reasons(exc.errors())) from None
        except SubmissionUnavailable as exc:
            return error(fmt, 503, str(exc))
        notice = (f"Nomor pelacakan {accepted.tracking_id}; ikuti di {services.settings.base_url}/lacak/"
                  f"{accepted.tracking_id}")
        return answer(fmt, [{"service_request_id": accepted.tracking_id, "service_notice": notice,
                             "account_id": None}], "service_requests", "request")
    return await _guard(fmt, handler)


def _reasons(errors) -> str:
    names = {"lon": "long", "category": "service_code", "reporter": "contact"}
    return "; ".join(f"{'.'.join(names.get(str(p), str(p)) for p in e['loc'] if p != 'body')}: {e['msg']}"
                     for e in errors)


def request_view(record: dict[str, Any], j: Jurisdiction, base_url: str) -> dict[str, Any]:
    """An Open311 service request from a case's public record (`domain.public.public_record`, or the public
    index's copy of it)."""
    zone = ZoneInfo(j.timezone)
    named = names(j, record)
    notes = [t["text"] for t in record["timeline"] if t["text"]]
    resolution = next((d for d in record["deadlines"] if d["name"] == "resolution"), None)
    expected = resolution["due_at"] if resolution and resolution["state"] in ("running", "breached") else None

    def local(text: str | None) -> str | None:
        return datetime.fromisoformat(text).astimezone(zone).isoformat() if text else None

    return {
        "service_request_id": record["tracking_id"],
        "status": "closed" if record["status"] in CLOSED else "open",
        "status_notes": notes[-1] if notes else None,
        "service_name": named["category_name"],
        "service_code": record["category"],
        "description": record["description"],
        "agency_responsible": named["agency_name"],
        "service_notice": None,
        "requested_datetime": local(record["submitted_at"]),
        "updated_datetime": local(record["updated_at"]),
        "expected_datetime": local(expected),
        "address": ", ".join(p for p in (named["district_name"], named["regency_name"]) if p),
        "address_id": None,
        "zipcode": None,
        "lat": None,  # points are not published: the district is as precise as the public record goes
        "long": None,
        "media_url": f"{base_url}/kasus/{record['tracking_id']}/foto/{record['photos'][0]}"
        if record["photos"] and record["status"] in ("resolved", "closed") else None,
    }


def client_record(case: Case, client: str | None, j: Jurisdiction) -> dict[str, Any] | None:
    """What an Open311 client may read of `case`: the public record of a published case, and of its own
    requests while they are open too (README, "Who sees what"); None otherwise."""
    own = client is not None and case.complaint.client == client
    return public_record(case, j, datetime.now(UTC), include_open=own)


async def _client(services, key: str | None) -> str | None:
    """The client name of a valid API key, or None."""
    if not key or services.accounts is None:
        return None
    return await run_in_threadpool(services.accounts.api_key_owner, key)


async def _reader(services, p) -> str | None:
    """The client reading (None: anyone); a key that is given must be valid."""
    key = p.get("api_key")
    client = await _client(services, key)
    if key and client is None:
        raise Open311Error(403, "api_key unknown or revoked (reading needs no key)")
    return client


def _int(p, name: str, default: int, low: int, high: int) -> int:
    text = p.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise Open311Error(400, f"{name} is a whole number from {low} to {high}")
    return int(text)


def _w3c(name: str, text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} is not a w3 date-time (e.g. 2026-11-05T08:15:30+07:00)") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or an offset)")
    return moment


@router.get("/requests.{fmt}", summary="GET service requests", responses=open311(400, 403, 404))
async def get_requests(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Query: service_request_id (comma-separated), service_code (comma-separated), start_date, end_date
    (w3 date-times; by default the last 90 days), status (open, closed), page (from 1) and page_size (at most
    1000, default 100); newest first. Without a key: the published requests, exactly as the transparency
    search has them. With `api_key`: also the open requests posted with that key."""
    async def handler():
        p, j = request.query_params, services.jurisdiction
        _jurisdiction(j, p.get("jurisdiction_id"))
        client = await _reader(services, p)
        size = _int(p, "page_size", PAGE_SIZE, 1, MAX_REQUESTS)
        page = _int(p, "page", 1, 1, MAX_WINDOW // size)
        ids = [normalize_case_id(i) or i.strip() for i in p.get("service_request_id", "").split(",") if i.strip()]
        filters: list[dict[str, Any]] = []
        if ids:
            filters.append({"ids": {"values": ids[:MAX_REQUESTS]}})
        codes = [c.strip() for c in p.get("service_code", "").split(",") if c.strip()]
        if codes:
            filters.append({"terms": {"category": codes}})
        statuses = {s.strip() for s in p.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status is open, closed or both (comma-separated)")
        if statuses == {"closed"}:
            filters.append({"terms": {"status": sorted(CLOSED)}})
        elif statuses == {"open"}:
            filters.append({"bool": {"must_not": {"terms": {"status": sorted(CLOSED)}}}})
        start, end = _w3c("start_date", p.get("start_date")), _w3c("end_date", p.get("end_date"))
        if not ids and not start:
            start = (end or datetime.now(UTC)) - DEFAULT_SPAN
        if start or end:
            filters.append({"range": {"submitted_at": {k: v.isoformat() for k, v in (("gte", start), ("lte", end))
                                                       if v}}})
        window = {"from": (page - 1) * size, "size": size, "sort": [{"submitted_at": "desc"}, "_doc"]}
        if client is None:  # the public index: published cases, scrubbed once when they were indexed
            found = await services.es.search(index=services.settings.indices.public_cases, **window,
                                             query={"bool": {"filter": filters}}, _source_excludes=SOURCE_EXCLUDES)
            views = [request_view(h["_source"], j, services.settings.base_url) for h in found["hits"]["hits"]]
        else:  # published cases and this client's own, from the case state
            published = {"terms": {"status": sorted(s.value for s in PUBLIC_STATUSES)}}
            mine = {"bool": {"should": [published, {"term": {"client": client}}], "minimum_should_match": 1}}
            found = await services.es.search(
                index=services.settings.indices.cases, **window, _source=["state"],
                query={"bool": {"filter": [*filters, mine], "must_not": [{"term": {"confidential": True}}]}})
            records = [client_record(case_from_document(h["_source"]), client, j) for h in found["hits"]["hits"]]
            views = [request_view(r, j, services.settings.base_url) for r in records if r]
        return answer(fmt, views, "service_requests", "request")
    return await _guard(fmt, handler)


@router.get("/requests/{service_request_id}.{fmt}", summary="GET service request",
            responses=open311(403, 404))
async def get_request(service_request_id: str, fmt: str, request: Request, services: ServicesDep) -> Response:
    async def handler():
        _jurisdiction(services.jurisdiction, request.query_params.get("jurisdiction_id"))
        view = await _one(services, service_request_id, await _reader(services, request.query_params))
        return answer(fmt, [view], "service_requests", "request")
    return await _guard(fmt, handler)


async def _one(services, service_request_id: str, client: str | None) -> dict[str, Any]:
    """One request as `client` (None: anyone) may read it; an unpublished one is not found."""
    case_id = normalize_case_id(service_request_id)
    record = None
    if case_id and client is None:
        record = await get_public_case(services.es, services.settings.indices.public_cases, case_id)
    elif case_id:
        case = await services.receipts.read_case(services.es, services.settings.indices.cases, case_id)
        record = client_record(case, client, services.jurisdiction) if case else None
    if record is None:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    return request_view(record, services.jurisdiction, services.settings.base_url)


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token",
            responses=open311(403, 404))
async def get_token(token: str, fmt: str, request: Request, services: ServicesDep) -> Response:
    """Requests get their id at once, so a token is the request's own id."""
    async def handler():
        view = await _one(services, token, await _reader(services, request.query_params))
        return answer(fmt, [{"service_request_id": view["service_request_id"], "token": token}],
                      "service_requests", "request")
    return await _guard(fmt, handler)
