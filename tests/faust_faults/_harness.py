"""What the reproductions share: options, Kafka topics and offsets, worker processes, their event files.

Every run uses topic names and a consumer group with a prefix of its own (`faultrepro-<hex>`), deletes every
topic with that prefix at the end (faust's changelog and assignor topics included), and stops every worker it
started (SIGTERM, then SIGKILL to its process group after a grace period).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

REPO = Path(__file__).resolve().parents[2]


def parser(description: str, *, attempts: int, timeout: float) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--broker", default=os.environ.get("FAULTREPRO_BROKER", "127.0.0.1:9092"),
                   help="Kafka bootstrap host:port (default %(default)s)")
    p.add_argument("--attempts", type=int, default=attempts, help="attempts at most (default %(default)s)")
    p.add_argument("--timeout", type=float, default=timeout,
                   help="seconds for the whole run, clean-up excluded (default %(default)s)")
    p.add_argument("--partitions", type=int, default=4, help="partitions of the input topic (default %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the run's folder (worker logs, event files)")
    p.add_argument("--verbose", action="store_true", help="print every step")
    return p


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= 0


@dataclass
class Run:
    """One run's names, folder and clean-up."""

    broker: str
    keep: bool = False
    verbose: bool = False
    prefix: str = field(default_factory=lambda: f"faultrepro-{secrets.token_hex(4)}")
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faultrepro-")))
    workers: list = field(default_factory=list)

    def say(self, msg: str, *, always: bool = True) -> None:
        if always or self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def name(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    async def admin(self) -> AIOKafkaAdminClient:
        client = AIOKafkaAdminClient(bootstrap_servers=self.broker, request_timeout_ms=15000)
        await client.start()
        return client

    async def create_topic(self, topic: str, partitions: int) -> None:
        client = await self.admin()
        try:
            await client.create_topics([NewTopic(topic, partitions, 1)])
        finally:
            await client.close()

    async def cleanup(self) -> None:
        for w in self.workers:
            w.stop(graceful=False)
        try:
            client = await self.admin()
            try:
                topics = [t for t in await client.list_topics() if self.prefix in t]
                if topics:
                    await client.delete_topics(topics)
                self.say(f"deleted topics: {', '.join(sorted(topics)) or '(none)'}", always=self.verbose)
                with contextlib.suppress(Exception):  # the group is empty once its workers are gone
                    await client.delete_consumer_groups([self.prefix])
            finally:
                await client.close()
        except Exception as exc:  # noqa: BLE001 - report, do not hide the verdict
            self.say(f"clean-up of topics with prefix {self.prefix} failed: {exc!r}")
        if self.keep:
            self.say(f"run folder kept: {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)

    def worker(self, label: str, input_topic: str, *extra: str) -> Worker:
        w = Worker(self, label, input_topic, list(extra))
        self.workers.append(w)
        return w


class Worker:
    """A `tests.faust_faults._worker` process."""

    def __init__(self, run: Run, label: str, input_topic: str, extra: list[str]) -> None:
        self.run, self.label, self.input, self.extra = run, label, input_topic, extra
        self.proc: subprocess.Popen | None = None
        self.events_file = run.folder / "events.jsonl"  # one file for all workers: lines carry the name
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        name = f"{self.label}#{self.starts}"
        cmd = [sys.executable, "-m", "tests.faust_faults._worker", "--name", name, "--app-id", self.run.prefix,
               "--broker", self.run.broker, "--input", self.input, "--events", str(self.events_file),
               "--datadir", str(self.run.folder / f"data-{self.label}-{self.starts}"),
               "--logfile", str(self.run.folder / f"{name}.log"), *self.extra]
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        out = open(self.run.folder / f"{name}.out", "w")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        self.name = name
        self.run.say(f"started worker {name} (pid {self.proc.pid})", always=self.run.verbose)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, graceful: bool = True, grace: float = 20.0) -> None:
        """SIGTERM (faust leaves the group and commits) and wait; SIGKILL the process group after `grace`.
        graceful=False: SIGKILL at once (no commit, the group waits for the session timeout)."""
        if not self.alive():
            return
        pid = self.proc.pid
        if graceful:
            os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.run.say(f"worker {self.name} did not stop within {grace:.0f} s: SIGKILL")
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self.proc.wait(10)
        self.run.say(f"stopped worker {self.name} ({'SIGTERM' if graceful else 'SIGKILL'})", always=self.run.verbose)


def read_events(run: Run) -> list[dict]:
    path = run.folder / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):  # a line cut by SIGKILL
            out.append(json.loads(line))
    return out


def last_status(events: list[dict], worker_name: str) -> dict | None:
    for e in reversed(events):
        if e.get("w") == worker_name and e["ev"] == "status":
            return e
    return None


def settled(status: dict | None, input_topic: str) -> bool:
    """The worker is past its rebalance and its recovery, with input partitions assigned (whether faust still
    fetches them is for the scripts to judge)."""
    if not status or status["rebalancing"] or status["in_recovery"] or not status["flow"]:
        return False
    return any(k.startswith(input_topic + "[") for k in status["parts"])


async def wait_until(predicate, timeout: float, every: float = 0.5) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(every)
    return predicate()


class Producer:
    """Writes `rate` records a second to the input topic, round robin over its partitions, until stopped."""

    def __init__(self, run: Run, topic: str, partitions: int, rate: float) -> None:
        self.run, self.topic, self.partitions, self.rate = run, topic, partitions, rate
        self.sent = 0
        self._task: asyncio.Task | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.run.broker, acks="all", linger_ms=5)
        await self._producer.start()
        self._task = asyncio.create_task(self._loop())

    async def send(self, n: int) -> None:
        assert self._producer is not None
        for _ in range(n):
            i = self.sent
            await self._producer.send(self.topic, f"v{i}".encode(), key=f"k{i % 64}".encode(),
                                      partition=i % self.partitions)
            self.sent += 1
        await self._producer.flush()

    async def _loop(self) -> None:
        if self.rate <= 0:
            return
        step = 0.1
        per_step = max(1, round(self.rate * step))
        while True:
            await self.send(per_step)
            await asyncio.sleep(step)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            await self._producer.flush()
            await self._producer.stop()


async def group_offsets(run: Run, topic: str, partitions: int) -> tuple[dict[int, int | None], dict[int, int]]:
    """(committed offset of the run's group, end offset) per partition of `topic`."""
    client = await run.admin()
    try:
        committed = await client.list_consumer_group_offsets(run.prefix)
    finally:
        await client.close()
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=run.broker, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return ({p: (committed[TopicPartition(topic, p)].offset if TopicPartition(topic, p) in committed else None)
             for p in range(partitions)}, {tp.partition: o for tp, o in ends.items()})


def processed_offsets(events: list[dict]) -> dict[int, set[int]]:
    done: dict[int, set[int]] = defaultdict(set)
    for e in events:
        if e["ev"] == "processed":
            done[e["p"]].add(e["o"])
    return done


def lost_offsets(events: list[dict], committed: dict[int, int | None]) -> dict[int, list[int]]:
    """Offsets below the group's committed offset that no worker processed: committed, never processed."""
    done = processed_offsets(events)
    lost = {}
    for p, c in committed.items():
        missing = [o for o in range(c or 0) if o not in done.get(p, set())]
        if missing:
            lost[p] = missing
    return lost


def ranges(offsets: list[int]) -> str:
    """'3..7, 9' for [3, 4, 5, 6, 7, 9]."""
    out, start, prev = [], None, None
    for o in sorted(offsets):
        if start is None:
            start = prev = o
        elif o == prev + 1:
            prev = o
        else:
            out.append(f"{start}..{prev}" if prev != start else f"{start}")
            start = prev = o
    if start is not None:
        out.append(f"{start}..{prev}" if prev != start else f"{start}")
    return ", ".join(out)


def finish(reproduced: bool, line: str) -> int:
    print(("REPRODUCED " if reproduced else "NOT REPRODUCED ") + line, flush=True)
    return 0 if reproduced else 1


def main_with(coro_fn, args) -> int:
    """Run `coro_fn(run, args, deadline)` (returns the exit code) with the run's clean-up, bounded in time."""
    run = Run(args.broker, keep=args.keep, verbose=args.verbose)
    deadline = Deadline(args.timeout)

    async def go() -> int:
        try:
            return await asyncio.wait_for(coro_fn(run, args, deadline), timeout=args.timeout + 30)
        except TimeoutError:
            return finish(False, f"(run cut off after {args.timeout + 30:.0f} s)")
        finally:
            await asyncio.wait_for(run.cleanup(), timeout=60)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # clean up on SIGTERM too (a `timeout` around the script)
    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        for w in run.workers:
            w.stop(graceful=False)
        with contextlib.suppress(Exception):
            asyncio.run(asyncio.wait_for(run.cleanup(), timeout=30))
        print("NOT REPRODUCED (interrupted)", flush=True)
        return 1


def churn_options(p: argparse.ArgumentParser, *, rate: float, delay: float, buffer: int,
                  leave: str, table: bool = True) -> None:
    p.add_argument("--rate", type=float, default=rate, help="records a second written (default %(default)s)")
    p.add_argument("--process-delay", type=float, default=delay,
                   help="seconds the agent takes per record (default %(default)s)")
    p.add_argument("--buffer-maxsize", type=int, default=buffer,
                   help="faust stream_buffer_maxsize of the workers (default %(default)s)")
    p.add_argument("--leave", choices=["term", "kill"], default=leave,
                   help="how the second worker leaves: SIGTERM (leaves the group) or SIGKILL (the group waits "
                        "for its session timeout) (default %(default)s)")
    p.add_argument("--session-timeout", type=float, default=6.0, help="workers' session timeout (default %(default)s)")
    p.add_argument("--stay", type=float, default=4.0,
                   help="seconds the second worker stays once settled (default %(default)s)")
    p.add_argument("--no-table", dest="table", action="store_false", default=table,
                   help="no table (no changelog, no recovery) in the workers")
    p.add_argument("--tables", type=int, default=1, help="tables per worker, with a table (default %(default)s)")
    p.add_argument("--diagnose", action="store_true", help="workers count where changelog records went")


@dataclass
class ChurnResult:
    topic: str
    events: list
    committed: dict
    ends: dict
    cycles: int
    drained: bool
    sent: int


async def churn(run: Run, args, deadline: Deadline, on_cycle=None) -> ChurnResult:
    """Worker A reads the input topic under a steady load; worker B joins and leaves `args.attempts` times
    (each join and each leave a rebalance in which A keeps or takes partitions over, with records waiting);
    then the load stops, A reads to the end and stops. `on_cycle(events)` -> True stops early."""
    topic = run.name("in")
    await run.create_topic(topic, args.partitions)
    extra = ["--partitions", str(args.partitions), "--process-delay", str(args.process_delay),
             "--buffer-maxsize", str(args.buffer_maxsize), "--session-timeout", str(args.session_timeout)]
    if args.table:
        extra += ["--table", "--tables", str(args.tables)]
    if getattr(args, "diagnose", False):
        extra.append("--diagnose")
    if getattr(args, "widen_recovery_window", 0):
        extra += ["--widen-recovery-window", str(args.widen_recovery_window)]
    if getattr(args, "fix_stall", False):
        extra.append("--fix-stall")
    producer = Producer(run, topic, args.partitions, args.rate)
    await producer.start()
    a, b = run.worker("A", topic, *extra), run.worker("B", topic, *extra)
    a.start()
    cycles = 0
    try:
        if not await wait_until(lambda: settled(last_status(read_events(run), a.name), topic),
                                min(60, deadline.left())):
            raise RuntimeError("worker A did not become ready")
        run.say(f"worker A ready; {args.rate:.0f} records/s into {topic} ({args.partitions} partitions)")
        reserve = 45  # to drain and stop at the end
        while cycles < args.attempts and deadline.left() > reserve + 30:
            cycles += 1
            b.start()
            both = await wait_until(lambda: settled(last_status(read_events(run), b.name), topic)
                                    and settled(last_status(read_events(run), a.name), topic),
                                    min(40, deadline.left() - reserve))
            await asyncio.sleep(args.stay)
            b.stop(graceful=args.leave == "term")
            back = await wait_until(lambda: _owns_all(last_status(read_events(run), a.name), topic, args.partitions),
                                    min(40, max(1, deadline.left() - reserve)))
            run.say(f"cycle {cycles}: B joined ({'both settled' if both else 'not settled'}), left by "
                    f"SIG{args.leave.upper()}, A {'owns all partitions again' if back else 'not back yet'}")
            if on_cycle is not None and on_cycle(read_events(run)):
                break
    finally:
        await producer.stop()
    run.say(f"load stopped after {producer.sent} records; waiting for A to read and commit to the end")
    committed, ends = await group_offsets(run, topic, args.partitions)

    async def caught_up() -> bool:
        nonlocal committed, ends
        committed, ends = await group_offsets(run, topic, args.partitions)
        return all((committed.get(p) or 0) >= ends[p] for p in ends)

    drained = False
    end = time.monotonic() + max(5.0, min(40.0, deadline.left() + 25))
    while time.monotonic() < end and a.alive():
        if await caught_up():
            drained = True
            break
        await asyncio.sleep(1.0)
    a.stop(graceful=True)
    committed, ends = await group_offsets(run, topic, args.partitions)
    return ChurnResult(topic, read_events(run), committed, ends, cycles, drained, producer.sent)


def _owns_all(status: dict | None, topic: str, partitions: int) -> bool:
    if not settled(status, topic):
        return False
    return sum(1 for k in status["parts"] if k.startswith(topic + "[")) == partitions
