"""How every client reaches Kafka and Elasticsearch: the local stack (plain, on loopback) or a cluster
(TLS, SASL/SCRAM, API keys, a CA file), from the same settings. Every producer, consumer, admin client,
faust app and Elasticsearch client is made with these options, so one setting changes them all."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from elasticsearch.serializer import OrjsonSerializer
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from config.settings import Settings


def kafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's producer, consumer and admin client."""
    options: dict[str, Any] = {"bootstrap_servers": [h.strip() for h in settings.kafka_bootstrap.split(",")
                                                     if h.strip()],
                               "security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism,
                       sasl_plain_username=settings.kafka_sasl_username,
                       sasl_plain_password=settings.kafka_sasl_password.get_secret_value())
    if settings.kafka_security_protocol.endswith("SSL") and settings.kafka_ca_file:
        options["ssl_cafile"] = str(settings.kafka_ca_file)
    return options


def faust_credentials(settings: Settings):
    """faust's broker credentials for the same connection, or None for plain text."""
    import faust

    protocol = settings.kafka_security_protocol
    context = ssl.create_default_context(cafile=str(settings.kafka_ca_file) if settings.kafka_ca_file else None) \
        if protocol.endswith("SSL") else None
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(username=settings.kafka_sasl_username,
                                     password=settings.kafka_sasl_password.get_secret_value(),
                                     mechanism=settings.kafka_sasl_mechanism, ssl_context=context)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return None


def es_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments (hosts included) for the `elasticsearch` client, sync or async."""
    # orjson for the JSON the client writes and reads; the bulk helpers encode each line with it too.
    options: dict[str, Any] = {"hosts": settings.es_hosts, "serializer": OrjsonSerializer()}
    if settings.es_api_key.get_secret_value():
        options["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_ca_file:
        options["ca_certs"] = str(settings.es_ca_file)
    return options


def engine_for(database_url: str) -> Engine:
    """An engine for `database_url`; for a SQLite file, its folder is made first."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # The API and the command line may write at once: wait for the other's lock instead of failing.
        engine = create_engine(url, connect_args={"timeout": 30})
        if url.database and url.database != ":memory:":
            event.listen(engine, "connect", _sqlite_wal)
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        # A database that hangs must not hang its callers (the worker reads data keys): bounded waits.
        return create_engine(url, pool_pre_ping=True, pool_timeout=10,
                             connect_args={"connect_timeout": 5, "options": "-c statement_timeout=10000"})
    return create_engine(url, pool_pre_ping=True)


def _sqlite_wal(connection, record) -> None:
    """Write-ahead log: readers never wait for a writer, and a commit costs one sync of the log instead of
    two of the database (synchronous=NORMAL: what is committed survives the process however it ends; a power
    cut may take the last commits back)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
