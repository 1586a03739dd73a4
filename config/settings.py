"""Settings from environment variables (prefix ``ADUAN_``), each with a documented default.

The README's "Configuration" table lists them; keep it in step with this class.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.keys import KeyRing, load_keys

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JURISDICTION = Path(__file__).resolve().parent / "jurisdictions" / "bengkulu.yaml"


def listens_on_loopback_only(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADUAN_", extra="ignore")

    # Jurisdiction
    jurisdiction_file: Path = Field(DEFAULT_JURISDICTION, description="YAML file of the jurisdiction")

    # Kafka
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated")
    topic_prefix: str = Field("", description="prefix of every topic name (isolates test runs)")
    partitions: int = Field(6, ge=1, le=1000, description="partitions of each topic created at start")
    replication_factor: int = Field(1, ge=1, description="replication factor of topics created at start")
    min_insync_replicas: int | None = Field(None, ge=1, description="min.insync.replicas of topics created at "
                                            "start (default: replication factor - 1, at least 1)")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how clients talk to Kafka: PLAINTEXT locally, SASL_SSL on a cluster")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*")
    kafka_sasl_username: str = Field("", description="SASL user")
    kafka_sasl_password: SecretStr = Field(SecretStr(""), description="SASL password")
    kafka_ca_file: Path | None = Field(None, description="CA certificate (PEM) the brokers' TLS certificates are "
                                       "checked against")
    kafka_confirm_timeout_s: float = Field(
        10.0, gt=0, description="longest wait for Kafka to confirm a submission before answering 503"
    )
    max_pending_submissions: int = Field(500, ge=1, description="submissions and commands an API process lets wait "
                                         "for Kafka's confirmation at once (its producer buffer, in records); "
                                         "past it, 503 at once (backpressure)")

    # Elasticsearch
    es_url: str = Field("http://127.0.0.1:9200", description="Elasticsearch URL(s), comma-separated")
    index_prefix: str = Field("", description="prefix of every index and alias name")
    index_shards: int = Field(1, ge=1, description="primary shards of indices created at start")
    index_replicas: int = Field(0, ge=0, description="replicas of indices created at start (1 or more on a cluster)")
    es_api_key: SecretStr = Field(SecretStr(""), description="Elasticsearch API key (base64 id:key), if used")
    es_username: str = Field("", description="Elasticsearch user, with es_password, if used")
    es_password: SecretStr = Field(SecretStr(""), description="Elasticsearch password")
    es_ca_file: Path | None = Field(None, description="CA certificate (PEM) for Elasticsearch over https")

    # Stream processors
    app_id: str = Field("aduan", description="faust application id (consumer group and table prefix)")
    worker_web_port: int = Field(6066, description="faust worker's web port (status, metrics)")
    projection_batch: int = Field(500, ge=1, description="most events indexed in one bulk request")
    session_timeout_s: float = Field(30.0, ge=6, le=300, description="how long a silent worker keeps its "
                                     "partitions before the others take them over (Kafka consumer session)")
    sla_tick_s: float = Field(1.0, gt=0, le=60, description="the longest the SLA timer sleeps "
                              "between looks for due alarms (it wakes when the first one falls due)")
    worker_stall_timeout_s: float = Field(60.0, ge=0, description="a worker whose table recovery, or an "
                                          "input partition with records waiting, reads nothing for this long "
                                          "exits (code 70) to be restarted (0: never)")
    worker_metrics_port: int = Field(9464, ge=0, le=65535, description="port of a worker's Prometheus /metrics "
                                     "(0: none)")
    worker_store: Literal["rocksdb", "memory"] = Field("rocksdb", description="where a worker keeps its tables: "
                                                       "rocksdb (on disk, a restart reads only the changelog "
                                                       "tail) or memory (read back in full at every start)")
    worker_data_dir: Path = Field(REPO_ROOT / "var" / "faust", description="a worker's table files (RocksDB), "
                                  "one folder per app id beneath it: a persistent volume in production")
    worker_block_cache_mb: int = Field(64, ge=8, le=65536, description="RocksDB block cache of each table "
                                       "partition, MiB")
    worker_standby_replicas: int = Field(1, ge=0, le=10, description="standby copies of each table partition "
                                         "kept warm on other workers, for fast takeovers")
    worker_static_membership: bool = Field(True, description="each worker joins its consumer group as a static "
                                           "member (host name and table folder), so one started again within "
                                           "ADUAN_SESSION_TIMEOUT_S gets its partitions back at once, without a "
                                           "rebalance")
    case_batch: int = Field(200, ge=1, le=10000, description="most messages the case agent decides before it "
                                                   "awaits their events' acknowledgements once")

    dead_letter_retention_days: int = Field(30, ge=1, le=3650, description="how long the dead-letter topic keeps "
                                            "a refused message (it may hold what a citizen wrote): applied at "
                                            "every bootstrap, to an existing topic too")

    # Logs
    log_format: Literal["console", "json"] = Field("console", description="console: lines for people; json: "
                                                   "one JSON object per line (structlog), for log collectors")

    # Secrets
    secret_key: SecretStr = Field(
        SecretStr(""), description="the root secret (at least 32 bytes) the keys of sessions and citizens' case "
        "secrets are derived from (config/keys.py); when not set, the key file's",
    )
    previous_secret_keys: SecretStr = Field(
        SecretStr(""), description="previous root secrets, comma-separated, still accepted for verification "
        "after a rotation (never for signing)",
    )
    secret_key_file: Path = Field(REPO_ROOT / "var" / "secret_key", description="the key file, used when "
                                  "ADUAN_SECRET_KEY is not set: made with a random root on first use, rotated "
                                  "by `aduan keys rotate`")
    staff_token_ttl_s: int = Field(8 * 3600, ge=60, le=12 * 3600, description="lifetime of a staff bearer token "
                                   "or page session (absolute expiry, 12 hours at most)")
    staff_idle_s: int = Field(30 * 60, ge=1, description="a staff session (page or bearer token) "
                              "ends after this long unused")

    # Accounts (api/accounts): staff accounts and their sessions, in a relational database
    database_url: str = Field(f"sqlite:///{REPO_ROOT / 'var' / 'aduan.db'}",
                              description="SQLAlchemy URL of the accounts database: SQLite by default (var/aduan.db),"
                              " or postgresql+psycopg://user:pass@host/db for deployments")
    login_free_failures: int = Field(5, ge=1, le=100, description="failed sign-ins for one username before its "
                                     "answers slow down, and before the address they came from waits between "
                                     "attempts on it (1 s, 2 s, 4 s, ...): never a lock of the account")
    login_address_free_failures: int = Field(20, ge=1, description="failed sign-ins from one client address, all "
                                             "usernames together, before that address waits between attempts")
    login_max_wait_s: int = Field(15 * 60, ge=1, description="longest wait an address is given between sign-in "
                                  "attempts")
    login_max_slow_s: float = Field(8.0, ge=0, le=30, description="longest time an answer for a username under "
                                    "attack is held back (it is never refused for that)")
    trusted_proxies: str = Field("", description="addresses or CIDRs of the reverse proxies whose X-Forwarded-For "
                                 "and X-Forwarded-Proto are believed (comma-separated; empty: none, the socket's "
                                 "address is the client's)")

    # Personal data (README, "Personal data (UU PDP)")
    personal_data_retention_days: int = Field(730, ge=0, le=36500, description="a case's personal data is erased "
                                              "this many days after it was closed (rejected or merged), by the "
                                              "worker's retention job; `aduan privacy due` lists what is due")
    retention_every_s: int = Field(6 * 3600, ge=0, description="how often the worker's retention job runs (on "
                                   "the leader worker only; 0: never, then `aduan privacy erase` by hand)")
    retention_batch: int = Field(200, ge=1, le=10000, description="at most this many cases erased per run of the "
                                 "retention job (the rest at the next)")

    # Intake
    scorecard_min_cases: int = Field(10, ge=1, description="cases an agency or regency needs in a period to be "
                                     "ranked on the public scorecards (fewer: listed, not ranked)")
    submit_rate_limit: str = Field("10/minute", description="anonymous submissions allowed per client address "
                                   "(per API process), in the `limits` notation: 10/minute, 100/hour, ...")
    media_dir: Path = Field(REPO_ROOT / "var" / "media", description="where citizens' photos are stored")
    max_photo_mb: float = Field(8.0, gt=0, le=50, description="largest photo accepted, in MB")
    photo_orphan_grace_s: int = Field(24 * 3600, ge=3600, description="photos of a submission Kafka never "
                                      "confirmed (no case in the index) are deleted once unchanged this long "
                                      "(at least an hour)")
    photo_sweep_every_s: int = Field(3600, ge=0, description="how often each API process sweeps orphan photos "
                                     "(0: never; `aduan privacy sweep-photos` does it by hand or from cron)")
    cookie_secure: bool | None = Field(None, description="send the session cookie over HTTPS only; unset: yes, "
                                       "unless the API listens on loopback only (ADUAN_API_HOST 127.x.x.x, ::1 or "
                                       "localhost)")

    # API
    api_host: str = Field("127.0.0.1")
    api_port: int = Field(8000)
    public_url: str = Field("", description="URL the API is reached at (default http://api_host:api_port)")
    allowed_hosts: str = Field("", description="host names the API answers to, comma-separated (others get 400; "
                               "the health and metrics paths answer any, for probes and scrapers); unset: the host "
                               "of the URL above, localhost and 127.0.0.1; `*`: any")

    # Local stack (deploy/local), used only by `aduan stack` and `make run` / `make test`
    stack_dir: Path = Field(REPO_ROOT / ".stack", description="cache, data and logs of the local stack")
    kafka_port: int = Field(9092)
    kafka_controller_port: int = Field(9093)
    es_port: int = Field(9200)
    es_transport_port: int = Field(9300)
    kafka_heap_mb: int = Field(512, ge=128, le=1024)
    es_heap_mb: int = Field(512, ge=256, le=1024)

    @model_validator(mode="after")
    def _connections_are_whole(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL") and not (
                self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()):
            raise ValueError("ADUAN_KAFKA_SASL_USERNAME and ADUAN_KAFKA_SASL_PASSWORD are needed with "
                             f"ADUAN_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}")
        for name in ("kafka_ca_file", "es_ca_file"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"ADUAN_{name.upper()}: no such file {path}")
        if self.es_password.get_secret_value() and not self.es_username:
            raise ValueError("ADUAN_ES_PASSWORD needs ADUAN_ES_USERNAME")
        for entry in (e.strip() for e in self.trusted_proxies.split(",") if e.strip()):
            try:  # uvicorn would take a mistyped entry as a literal that matches nothing, silently
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"ADUAN_TRUSTED_PROXIES: {entry!r} is not an address or CIDR") from None
            if network.prefixlen == 0:
                raise ValueError(f"ADUAN_TRUSTED_PROXIES: {entry!r} would let any client choose its address")
        return self

    def keys(self) -> KeyRing:
        """The root secret and the previous ones (config/keys.py); the key file is made on first use. Reads the
        file at each call: take it once (SecretKeyError names the setting or file that is wrong)."""
        return load_keys(self.secret_key.get_secret_value(), self.previous_secret_keys.get_secret_value(),
                         self.secret_key_file)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return not listens_on_loopback_only(self.api_host)

    @property
    def trusted_hosts(self) -> list[str]:
        named = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        if named:
            return named
        own = urlsplit(self.base_url).hostname
        return sorted({"localhost", "127.0.0.1", *([own] if own else [])})

    @property
    def es_hosts(self) -> list[str]:
        return [u.strip() for u in self.es_url.split(",") if u.strip()]

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def indices(self) -> Indices:
        return Indices(self.index_prefix)


class Topics:
    """Every topic name in one place, so producers, agents and tests agree."""

    def __init__(self, prefix: str) -> None:
        self.submissions = f"{prefix}complaints.submitted"
        self.commands = f"{prefix}cases.commands"
        self.events = f"{prefix}cases.events"
        self.dead_letter = f"{prefix}aduan.deadletter"

    def all(self) -> list[str]:
        return [self.submissions, self.commands, self.events, self.dead_letter]


class Indices:
    """Alias names the app reads and writes; each alias points at one concrete index."""

    def __init__(self, prefix: str) -> None:
        self.cases = f"{prefix}cases"
        self.public_cases = f"{prefix}public-cases"  # resolved, non-confidential cases, scrubbed (domain.public)
