"""What a citizen submits: the complaint's details, checked before anything reaches Kafka."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Channel = Literal["web", "api", "open311", "email", "sms", "import"]

_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{6,22}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class Reporter(BaseModel):
    """Who submitted, all optional: a complaint may come with no contact at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[Text, Field(max_length=120)] | None = None
    phone: Annotated[Text, Field(max_length=24)] | None = None
    email: Annotated[Text, Field(max_length=254)] | None = None

    @field_validator("name", "phone", "email", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("nomor telepon tidak valid / not a valid phone number")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("alamat e-mail tidak valid / not a valid e-mail address")
        return value


class ComplaintDetails(BaseModel):
    """The fields of a complaint as every channel gives them (web form, JSON API, Open311, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Annotated[Text, Field(min_length=1, max_length=40)]
    title: Annotated[Text, Field(max_length=150)] | None = None
    description: Annotated[Text, Field(min_length=10, max_length=5000)]
    regency: Annotated[Text, Field(pattern=r"^\d{2}\.\d{2}$")]
    district: Annotated[Text, Field(pattern=r"^\d{2}\.\d{2}\.\d{2}$")] | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    reporter: Reporter = Reporter()
    anonymous: bool = False
    confidential: bool = False
    # Answers to the category's attributes (jurisdiction file; Open311's attribute[code]), checked at intake.
    attributes: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")],
                     Annotated[Text, Field(max_length=500)]] = Field({}, max_length=20)
    media_url: Annotated[str, StringConstraints(pattern=r"^https?://\S{3,490}$")] | None = Field(
        None, description="a link to a photo held elsewhere (Open311 clients); never fetched by the server")

    @model_validator(mode="after")
    def _location_is_whole(self) -> ComplaintDetails:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        if self.district is not None and not self.district.startswith(self.regency + "."):
            raise ValueError(f"district {self.district} is not in regency {self.regency}")
        return self


class Complaint(ComplaintDetails):
    """A complaint as recorded in the ``complaint.submitted`` event. Its description was checked at intake
    (ComplaintDetails); here it may also be the short mark of an erased text (domain/erasure.py)."""

    description: Annotated[Text, Field(min_length=1, max_length=5000)]

    channel: Channel = "web"
    client: str | None = None  # the Open311 client (its API key's name) that posted it, if one did
    client_request_id: str | None = None
    photos: tuple[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")], ...] = Field((), max_length=3)


def fingerprint(complaint: Complaint) -> str:
    """What makes two submissions the same complaint: every field but the client's own request id. Two
    different complaints under one request id are two complaints, never one answer for both."""
    content = complaint.model_dump(mode="json", exclude={"client_request_id"})
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
