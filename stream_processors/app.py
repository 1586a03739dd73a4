"""The faust app of a worker, its topics and tables: made by `build_app`, nothing at import.

Every message is raw bytes of our own JSON: agents parse and validate each one themselves, so a malformed
message goes to the dead-letter topic instead of stopping its partition (rule 9).

Each role is a faust app (a consumer group) of its own, so that it can run in a process of its own:
`cases` keeps the app id (its tables' changelogs are `<app id>-cases-changelog` and `-alarms-changelog`),
`projection` is `<app id>-projection`, `sla` is `<app id>-sla`. `all` is one app with everything, under the
app id: for one machine (`make run`, the tests).
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from config.connections import faust_credentials
from config.logs import logging_config
from config.settings import Settings
from stream_processors.faust_adapter import AduanApp

ROLES = ("all", "cases", "projection", "sla")


def app_id_of(settings: Settings, role: str) -> str:
    return settings.app_id if role in ("all", "cases") else f"{settings.app_id}-{role}"


TABLES = ("cases", "alarms")


def changelog_topic(settings: Settings, table: str) -> str:
    """A table's changelog topic, as faust names it (after the case app's id and the table)."""
    return f"{settings.app_id}-{table}-changelog"


def alarms_changelog(settings: Settings) -> str:
    """The deadline index's changelog: the sla worker reads it."""
    return changelog_topic(settings, "alarms")


@dataclass
class Topics:
    case_inputs: object  # submissions and commands, read by the case agent as one stream
    events: object
    commands: object
    dead_letter: object


@dataclass
class Tables:
    cases: object  # case_id -> the case state as JSON; written only by the case agent
    alarms: object  # case_id -> when its next SLA alarm is due (epoch seconds); the deadline index


def build_app(settings: Settings, role: str) -> AduanApp:
    if role not in ROLES:
        raise ValueError(f"unknown worker role {role!r}: one of {', '.join(ROLES)}")
    app_id = app_id_of(settings, role)
    datadir, lock = claim_data_dir(settings.worker_data_dir / app_id)
    # Static membership (KIP-345): the id names this worker for good: its host and table folder. A static
    # member started again is handed the assignment of its last run, which carries that run's URL in faust's
    # assignor metadata (faust asserts it is its own): so the URL names the member too, never a port that can
    # change between runs (the workers serve no faust web views; their metrics have a port of their own).
    member = f"{socket.gethostname()}-{datadir.name}"
    instance_id = f"{app_id}-{member}" if settings.worker_static_membership else None
    t = settings.topics
    # The case agent's and the projection's inputs are guarded (consumer_guard); changelogs are left to faust.
    guarded = {"all": [t.submissions, t.commands, t.events], "cases": [t.submissions, t.commands],
               "projection": [t.events], "sla": []}[role]
    app = AduanApp(
        app_id,
        guarded_topics=guarded,
        broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap.split(",") if h.strip()],
        store="rocksdb://" if settings.worker_store == "rocksdb" and role in ("all", "cases") else "memory://",
        autodiscover=False,
        origin="stream_processors",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        table_standby_replicas=settings.worker_standby_replicas,
        producer_acks=-1,
        # A case batch sends its events and table changes at once: few large requests, not one per batch of
        # 16 KB (faust's default); the linger adds at most 5 ms to a lone message.
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
        broker_session_timeout=settings.session_timeout_s,
        broker_credentials=faust_credentials(settings),
        consumer_auto_offset_reset="earliest",
        consumer_group_instance_id=instance_id,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=True,
        web_host="127.0.0.1",
        web_port=settings.worker_web_port,
        canonical_url=f"http://{member}.{app_id}.invalid",
        web_in_thread=False,
        datadir=str(datadir),
        logging_config=logging_config(settings),
    )
    app.data_dir_lock = lock  # held as long as the app lives
    app.data_folder = datadir  # this worker's own: its tables, the sla worker's copy of the deadline index
    return app


def claim_data_dir(base: Path, slots: int = 64) -> tuple[Path, int]:
    """The first of `base`/0, `base`/1, ... that no other live process holds, held by this one from now on
    (an exclusive lock on a file inside it, released when the process ends, however it ends). Several
    workers on one machine (`aduan run --workers 2`, the tests) each get table files of their own, and a
    worker started again takes the folder it had, whose tables it then only brings up to date. In a
    Kubernetes pod, with a volume of its own, that is always `0`."""
    for slot in range(slots):
        folder = base / str(slot)
        folder.mkdir(parents=True, exist_ok=True)  # faust does not make it
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return folder, fd
    raise RuntimeError(f"all {slots} table folders under {base} are held by running workers")


def build_topics(app, settings: Settings) -> Topics:
    t, n = settings.topics, settings.partitions
    return Topics(case_inputs=app.topic(t.submissions, t.commands, partitions=n),
                  events=app.topic(t.events, partitions=n),
                  commands=app.topic(t.commands, partitions=n),
                  dead_letter=app.topic(t.dead_letter, partitions=1))


def build_tables(app, settings: Settings) -> Tables:
    def options() -> dict:  # a fresh dict per table: faust's RocksDB store pops keys from it
        return {"driver": "rocksdict", "block_cache_size": settings.worker_block_cache_mb * 1024 * 1024}

    def table(name: str):
        extra = {"options": options()} if settings.worker_store == "rocksdb" else {}
        return app.Table(name, default=None, partitions=settings.partitions, **extra)

    return Tables(**{name: table(name) for name in TABLES})
