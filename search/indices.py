"""Index definitions and their creation at start.

Mappings use only what every Elasticsearch 8.19 node has, including the integ-test build of the
local stack (no analysis-common, no mapper-extras): the standard analyzer, keyword, date,
geo_point. A production cluster can add language analysis on top without changing field names.

Each name the app uses is an alias pointing at one concrete index (``cases`` -> ``cases-v1``), so
a projection can be rebuilt into a new index and the alias switched once it has caught up.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

CASES_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "case_id": {"type": "keyword"},
        "seq": {"type": "long"},
        "status": {"type": "keyword"},
        "category": {"type": "keyword"},
        "regency": {"type": "keyword"},
        "district": {"type": "keyword"},
        "agency": {"type": "keyword"},
        "assignee": {"type": "keyword"},
        "channel": {"type": "keyword"},
        "client": {"type": "keyword"},  # the Open311 client that posted the case (it may read it while open)
        "anonymous": {"type": "boolean"},
        "confidential": {"type": "boolean"},
        "title": {"type": "text"},
        "description": {"type": "text"},
        "text_stems": {"type": "text"},  # Indonesian stems of title and description (search/text.py)
        "location": {"type": "geo_point"},
        "submitted_at": {"type": "date"},
        "routed_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "closed_at": {"type": "date"},  # closed, rejected or merged: when (the retention of personal data runs from it)
        "erased_at": {"type": "date"},  # its personal data erased (README, "Personal data")
        "due_at": {"type": "date"},  # the nearest deadline among running clocks: what queues sort by
        "breached": {"type": "boolean"},  # a deadline of the case was missed (the supervisor's queue)
        "breached_by": {"type": "keyword"},  # whose deadlines were missed: agencies ("coordinators": dispatch)
        "escalated": {"type": "boolean"},  # raised to the coordinators after a second breach
        # What the case adds to its agency's and officer's performance record (domain.sla.case_metrics).
        "metrics": {"properties": {
            "handled": {"type": "byte"},
            "first_response_s": {"type": "long"},
            "resolution_s": {"type": "long"},
            "dispatch_met": {"type": "byte"},
            "response_met": {"type": "byte"},
            "resolution_met": {"type": "byte"},
            "breaches": {"type": "short"},
            "reopened": {"type": "byte"},
            "rating": {"type": "byte"},
        }},
        # The whole case state, kept for reads and for the projection to continue from; not searched.
        "state": {"type": "object", "enabled": False},
    },
}


def cases_index_body(shards: int, replicas: int, mappings: dict[str, Any] = CASES_MAPPINGS) -> dict[str, Any]:
    return {
        "settings": {"number_of_shards": shards, "number_of_replicas": replicas, "refresh_interval": "1s"},
        "mappings": mappings,
    }


def index_version(index: str) -> int | None:
    """The number of a concrete index named alias-vN; None for another name."""
    number = index.rsplit("-v", 1)[-1]
    return int(number) if "-v" in index and number.isdigit() else None


def versions_of(es: Elasticsearch, alias: str) -> dict[str, int]:
    """The concrete indices behind `alias`'s name (alias-v1, alias-v2, ...) and their numbers."""
    found = es.indices.get(index=f"{alias}-v*", allow_no_indices=True, ignore_unavailable=True)
    return {name: version for name in found if (version := index_version(name)) is not None}


def create_next_index(es: Elasticsearch, alias: str, shards: int = 1, replicas: int = 0,
                      mappings: dict[str, Any] = CASES_MAPPINGS) -> str:
    """A new, empty concrete index for `alias`, numbered after every existing one; not yet aliased."""
    index = f"{alias}-v{max(versions_of(es, alias).values(), default=0) + 1}"
    es.indices.create(index=index, **cases_index_body(shards, replicas, mappings))
    return index


def switch_alias(es: Elasticsearch, alias: str, index: str) -> list[str]:
    """Point `alias` at `index` alone, in one atomic step; returns the indices it left."""
    old = list(es.indices.get_alias(name=alias)) if es.indices.exists_alias(name=alias) else []
    actions = [{"remove": {"index": name, "alias": alias}} for name in old if name != index]
    actions.append({"add": {"index": index, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    return [name for name in old if name != index]


def ensure_cases_index(es: Elasticsearch, alias: str, shards: int = 1, replicas: int = 0,
                       mappings: dict[str, Any] = CASES_MAPPINGS) -> str:
    """Create the first concrete index behind `alias` unless the alias exists; return its index. (Also
    for the public index, with its own `mappings`.)"""
    if es.indices.exists_alias(name=alias):
        index = next(iter(es.indices.get_alias(name=alias)))
        # New fields are added in place; a field whose type changed is refused by Elasticsearch, and
        # the answer is `aduan projections rebuild` into a new index.
        try:
            es.indices.put_mapping(index=index, properties=mappings["properties"])
        except BadRequestError as exc:
            raise RuntimeError(f"the mapping of {index} differs from this version's: {exc.message}; run "
                               "`aduan projections rebuild`") from exc
        return index
    index = f"{alias}-v1"
    if not es.indices.exists(index=index):
        es.indices.create(index=index, aliases={alias: {"is_write_index": True}},
                          **cases_index_body(shards, replicas, mappings))
    else:
        es.indices.put_alias(index=index, name=alias, is_write_index=True)
    return index
