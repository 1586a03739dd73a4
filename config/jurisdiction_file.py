"""Reading a jurisdiction file: YAML in, a validated `Jurisdiction` out, or an error naming the field."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.jurisdiction import Jurisdiction


class JurisdictionError(Exception):
    pass


def parse_jurisdiction(text: str, source: str = "<text>") -> Jurisdiction:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JurisdictionError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return Jurisdiction.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "(top level)"
            lines.append(f"  {field}: {err['msg']}")
        raise JurisdictionError(f"{source}: invalid jurisdiction file\n" + "\n".join(lines)) from exc


@lru_cache(maxsize=8)
def load_jurisdiction(path: Path) -> Jurisdiction:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise JurisdictionError(f"cannot read jurisdiction file {path}: {exc.strerror}") from exc
    return parse_jurisdiction(text, str(path))
