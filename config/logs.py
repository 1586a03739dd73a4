"""Logs: lines for people by default; with ADUAN_LOG_FORMAT=json, one JSON object per line (structlog), for
a log collector. Every logger goes through the same formatter: ours, uvicorn's and faust's.

What goes in a log: case ids, agents, topics, reasons, never personal data (no descriptions, names,
contacts; query strings are cut from access lines, see api/logs.py). As a last guard every text of a line
passes the public record's scrubber (`domain.redaction.scrub`): our structlog lines in both formats, and in
the JSON format every other library's lines too (uvicorn, faust, kafka-python).
"""

from __future__ import annotations

from typing import Any

import structlog

from domain.redaction import scrub

_KEEP = frozenset({"timestamp", "level", "logger", "logger_name"})


def scrub_personal_data(logger, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: each text of the line with personal data replaced (domain.redaction)."""
    return {k: scrub(v) if isinstance(v, str) and k not in _KEEP else v for k, v in event_dict.items()}


_SHARED = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
           structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso", utc=True)]


def logging_config(settings) -> dict[str, Any] | None:
    """A `logging.config.dictConfig` for JSON lines, or None to keep each program's own console format."""
    json_lines = settings.log_format == "json"
    # Our structlog loggers hand their fields to the stdlib handlers: as a dict for the JSON formatter, or
    # as one readable "event key=value" line for the console format.
    last = structlog.stdlib.ProcessorFormatter.wrap_for_formatter if json_lines else \
        structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True)
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, scrub_personal_data, last]
                        if not json_lines else [*_SHARED, last], logger_factory=structlog.stdlib.LoggerFactory(),
                        cache_logger_on_first_use=True)
    if not json_lines:
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                           structlog.processors.format_exc_info, scrub_personal_data,
                           structlog.processors.JSONRenderer()],
            "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
        }},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": "INFO"},
        "loggers": {name: {"handlers": [], "propagate": True, "level": "INFO"}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


def get_logger(name: str):
    """A structlog logger: `log.warning("dead_letter", case_id=..., reason=...)` gives fields, not text."""
    return structlog.stdlib.get_logger(name)
