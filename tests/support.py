"""Helpers shared by the integration tests and the benchmarks: processes of ours, polling, ports."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition

from config.settings import Settings


class WaitTimeout(AssertionError):
    pass


WAIT_S = 90  # the longest any test waits for the pipeline; a hang fails loudly instead of stalling CI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], what: str, timeout_s: float = WAIT_S, every_s: float = 0.25) -> Any:
    """Poll until `predicate` returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - kept to explain the failure
            last_error = exc
        time.sleep(every_s)
    raise WaitTimeout(f"timed out after {timeout_s:.0f} s waiting for {what}" + (f" (last error: {last_error!r})"
                                                                         if last_error else ""))


def topic_records(bootstrap: str, topic: str, timeout_s: float = WAIT_S, **consumer_options: Any) -> Iterator:
    """Every record of `topic` as it stands now: each partition from its beginning to its end offset at the
    start. TimeoutError past `timeout_s`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                             **consumer_options)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took over {timeout_s:.0f} s")
            for batch in consumer.poll(timeout_ms=500).values():
                yield from batch
    finally:
        consumer.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess these settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is None:  # unset: the default (also None) applies
            env.pop(f"ADUAN_{name.upper()}", None)
            continue
        env[f"ADUAN_{name.upper()}"] = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return env


class Process:
    """A child process of the tests, its output in a log file, stopped by its pid at the end."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self._args, self._env = args, env
        self.proc = self._start()
        self.exits: list[int] = []  # exit codes of the runs a supervisor started again
        self._supervisor: threading.Thread | None = None
        self._stopping = threading.Event()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(self._args, env=self._env, stdout=self._log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def supervise(self, every_s: float = 0.5) -> Process:
        """Start it again whenever it exits by itself, as Kubernetes or `aduan run` does (a worker's watchdog
        exits on a stall to be restarted); until `kill` or `stop`."""
        def watch() -> None:
            while not self._stopping.wait(every_s):
                code = self.proc.poll()
                if code is not None and not self._stopping.is_set():
                    self.exits.append(code)
                    self._log.write(f"\n--- exited with code {code}; started again ---\n".encode())
                    self._log.flush()
                    self.proc = self._start()

        self._supervisor = threading.Thread(target=watch, name=f"supervise-{self.name}", daemon=True)
        self._supervisor.start()
        return self

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _unsupervise(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(5)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, as when a machine dies (and no supervisor to restart it)."""
        self._unsupervise()
        self.proc.kill()
        self.proc.wait(10)

    def stop(self, timeout_s: float = 20) -> None:
        self._unsupervise()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


def start_api(settings: Settings, log_dir: Path, name: str = "api", extra_args: list[str] | None = None) -> Process:
    api = Process(name, [sys.executable, "-m", "aduan.cli", "api", *(extra_args or [])], settings_env(settings),
                  log_dir)

    def ready() -> bool:
        if not api.alive():
            raise WaitTimeout(f"the API exited:\n{api.tail()}")
        return httpx.get(f"{settings.base_url}/healthz", timeout=2).status_code == 200

    wait_for(ready, f"the API on {settings.base_url}", timeout_s=60)
    return api




def delete_indices(es, prefix: str) -> None:
    """Delete the indices of one run by name (this Elasticsearch refuses wildcard deletes)."""
    names = list(es.indices.get(index=f"{prefix}*", allow_no_indices=True, ignore_unavailable=True))
    if names:
        es.indices.delete(index=",".join(names))


def staff_headers(settings: Settings, role: str, agency: str | None = None, user: str = "budi") -> dict[str, str]:
    """`Authorization` of a signed-in staff account: `user` with that role and agency, made if missing (with
    a random password); a `user` that already has an account of another role or agency gets one of its own,
    `user.role.agency`. The token is a session opened in the accounts database the API reads, as
    `aduan staff-token` does."""
    from api.accounts import AccountStore

    store = AccountStore.from_settings(settings)
    try:
        account = store.get(user)
        if account is not None and (account.role, account.agency) != (role, agency):
            user = f"{user}.{role}.{agency or 'all'}".lower()
            account = store.get(user)
        if account is None:
            store.add(user, role, agency, secrets.token_urlsafe(24))
        return {"Authorization": f"Bearer {store.open_session(user, settings.staff_token_ttl_s)}"}
    finally:
        store.close()


def session_cookie(settings: Settings, session: dict, key: bytes | None = None) -> str:
    """The value of the `aduan_session` cookie the API would set for `session`: signed with these settings'
    session key, or with `key`."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    from config.keys import Purpose

    data = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(key or settings.keys().purpose_key(Purpose.SESSION)).sign(data).decode()


def open311_key(settings: Settings, label: str) -> Iterator[str]:
    """An Open311 client's key of its own (named `label` and a random suffix), for a fixture to yield."""
    from api.accounts import AccountStore

    store = AccountStore.from_settings(settings)
    try:
        yield store.add_api_key(f"{label}-{uuid.uuid4().hex[:8]}")
    finally:
        store.close()


def search_marker() -> str:
    """A random word to find a test's cases by in the public search: consonants only, so the scrubber never
    takes it for personal data (hex could read as a handle, "fb3…", or a house number, "Jalan 3a…") and the
    stemmer never cuts an affix from it."""
    return "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))
