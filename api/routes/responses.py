"""The error answers the operations share, declared once for the routes' `responses=`: the OpenAPI document
lists every status code the API really answers (tests/integration/test_schemathesis.py checks it).

Merge them with `|`: `responses=STAFF | not_found("No such case in your scope")`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse
from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class JSON(JSONResponse):
    """A JSON answer a route builds itself, encoded by orjson: the bytes of Starlette's JSONResponse (compact,
    UTF-8), made faster. Answers of a route's response model do not come here: FastAPI encodes those with
    pydantic's own serializer, which is faster still (FastAPI's ORJSONResponse would replace it)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class ErrorMessage(BaseModel):
    """An error of the API: `detail` says what is wrong, in Indonesian and English."""

    detail: str


class Open311Error(BaseModel):
    """One error of the Open311 GeoReport v2 list."""

    code: int
    description: str


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}


def error(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ErrorMessage, "description": description, **extra}


def not_found(description: str) -> Responses:
    return {404: error(description)}


# A 422 the route raises itself (RequestValidationError, api/app.py keeps FastAPI's handler): FastAPI's own shape.
INVALID: Responses = {422: {"description": "Invalid input; detail[].loc names the field", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}}
# Every POST: the body is read by the app (api/app.py BodyLimit) and by FastAPI or Starlette, before the route.
BODY: Responses = {
    400: error("The body could not be read: not UTF-8, or a malformed form (too many files or fields)"),
    411: error("A body without Content-Length (chunked): send its length"),
    413: error("The body is larger than three photos and the form allow"),
}
STAFF: Responses = {401: error("No valid staff bearer token: missing, expired, idle too long, signed out, or "
                               "its account disabled", headers={"WWW-Authenticate": {"schema": {"type": "string"}}}),
                    403: error("Not allowed for this account; or an administrator reset its password and it must "
                               "be changed first (POST /api/v1/auth/password)")}
RATE_LIMITED: Responses = {429: error("Too many requests from this address; Retry-After says for how long",
                                      headers=_RETRY_AFTER)}
KAFKA_UNAVAILABLE: Responses = {503: error("Kafka did not confirm in time; try again after Retry-After",
                                           headers=_RETRY_AFTER)}

# Open311 answers in the format its path ends with: JSON, or the specification's XML.
_XML = {"text/xml": {"schema": {"type": "string", "description": "the GeoReport v2 XML"}}}
OPEN311_OK: Responses = {200: {"description": "The answer, as JSON or as XML (by the path's format)",
                               "content": {"application/json": {}, **_XML}}}
_OPEN311_ERRORS = {
    400: "A field is missing or invalid (description names it)",
    403: "No valid api_key",
    404: "Unknown format (use .json or .xml), service_code, request or jurisdiction_id",
    503: "Kafka did not confirm the request in time",
}


def open311(*statuses: int) -> Responses:
    """The 200 answer and the specification's error list with each of `statuses`, in JSON or XML."""
    return OPEN311_OK | {s: {"model": list[Open311Error], "description": _OPEN311_ERRORS[s], "content": _XML}
                         for s in statuses}
