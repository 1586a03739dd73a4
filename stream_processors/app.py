"""The faust app, its topics and tables, declared in one place.

Every message is raw bytes of our own JSON: agents parse and validate each one themselves, so a
malformed message goes to the dead-letter topic instead of stopping its partition (rule 9).
"""

from __future__ import annotations

import logging

import faust

from config.connections import faust_credentials
from config.jurisdiction_file import load_jurisdiction
from config.logs import logging_config
from config.settings import REPO_ROOT, Settings
from stream_processors import consumer_guard

# One line per Elasticsearch request drowns the worker's own log.
logging.getLogger("elastic_transport").setLevel(logging.WARNING)

settings = Settings()
jurisdiction = load_jurisdiction(settings.jurisdiction_file)
DATADIR = REPO_ROOT / "var" / "faust" / settings.app_id
DATADIR.mkdir(parents=True, exist_ok=True)  # faust does not make it

app = faust.App(
    settings.app_id,
    broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap.split(",") if h.strip()],
    store="memory://",
    autodiscover=False,
    origin="stream_processors",
    topic_partitions=settings.partitions,
    topic_replication_factor=settings.replication_factor,
    topic_allow_declare=True,
    producer_acks=-1,
    broker_session_timeout=settings.session_timeout_s,
    broker_credentials=faust_credentials(settings),
    consumer_auto_offset_reset="earliest",
    key_serializer="raw",
    value_serializer="raw",
    web_enabled=True,
    web_host="127.0.0.1",
    web_port=settings.worker_web_port,
    web_in_thread=False,
    # faust's own folder (table metadata), out of the checkout and per app id.
    datadir=str(DATADIR),
    logging_config=logging_config(settings),
)

# The case agent reads submissions and commands as one stream: one message at a time per worker,
# so two inputs for one case are never decided on the same old state.
case_inputs = app.topic(settings.topics.submissions, settings.topics.commands, partitions=settings.partitions)
events_topic = app.topic(settings.topics.events, partitions=settings.partitions)
dead_letter_topic = app.topic(settings.topics.dead_letter, partitions=1)

commands_topic = app.topic(settings.topics.commands, partitions=settings.partitions)

# Every record of the agents' input topics reaches its agent, in offset order (see consumer_guard).
consumer_guard.install([settings.topics.submissions, settings.topics.commands, settings.topics.events])
consumer_guard.watch(app)

# case_id -> the case state as JSON; written only by the case agent, recovered from its changelog.
cases_table = app.Table("cases", default=None, partitions=settings.partitions)
# The deadline index: case_id -> when its next SLA alarm is due (epoch seconds), for cases that have
# one. Written by the case agent beside the case; the SLA timer only reads it (rule 5).
alarms_table = app.Table("alarms", default=None, partitions=settings.partitions)
