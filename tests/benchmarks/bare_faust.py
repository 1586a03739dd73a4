"""A bare faust app, the intake benchmark's ceiling for the case agent: one agent reads a topic and writes one
table entry per record (key -> value, raw bytes), nothing else. Same broker settings as Aduan's worker (acks=all
producer, earliest offsets, raw serializers, the topic's partitions), the table store given (memory or RocksDB,
as the worker's ADUAN_WORKER_STORE).

Run by tests.benchmarks.intake as a subprocess:
    python -m tests.benchmarks.bare_faust --app-id ID --topic T --partitions P --count N --out FILE
It writes one JSON line to FILE once COUNT records were read: {"count", "first", "last", "cpu_s"} (epoch seconds
of the first and the last record, the process's CPU seconds between them), and keeps running until it is
stopped (SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faust


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-id", required=True, help="faust app id (consumer group, table changelog prefix)")
    parser.add_argument("--broker", default="127.0.0.1:9092", help="Kafka bootstrap servers, comma-separated")
    parser.add_argument("--topic", required=True, help="the topic to read")
    parser.add_argument("--partitions", type=int, required=True, help="its partitions (and the table's)")
    parser.add_argument("--count", type=int, required=True, help="records to read before writing --out")
    parser.add_argument("--out", type=Path, required=True, help="file for the JSON result")
    parser.add_argument("--store", default="memory", choices=["memory", "rocksdb"], help="table store")
    parser.add_argument("--datadir", type=Path, required=True, help="faust's data folder (RocksDB files)")
    parser.add_argument("--block-cache-mb", type=int, default=64, help="RocksDB block cache, MiB (as the worker's)")
    args = parser.parse_args(argv)

    args.datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        args.app_id,
        broker=[f"kafka://{h.strip()}" for h in args.broker.split(",") if h.strip()],
        store=f"{args.store}://",
        autodiscover=False,
        topic_partitions=args.partitions,
        topic_allow_declare=True,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        datadir=str(args.datadir),
    )
    topic = app.topic(args.topic, partitions=args.partitions)
    # The worker's RocksDB options: the rocksdict driver, the block cache of its setting.
    options = {"options": {"driver": "rocksdict", "block_cache_size": args.block_cache_mb * 1024 * 1024}} \
        if args.store == "rocksdb" else {}
    table = app.Table("bare", default=None, partitions=args.partitions, **options)
    state = {"count": 0, "first": 0.0, "cpu_first": 0.0}

    @app.agent(topic)
    async def bare(stream):
        async for key, value in stream.items():
            table[key] = value
            state["count"] += 1
            if state["count"] == 1:
                state["first"], state["cpu_first"] = time.time(), time.process_time()
            if state["count"] == args.count:
                args.out.write_text(json.dumps({"count": state["count"], "first": state["first"],
                                                "last": time.time(),
                                                "cpu_s": time.process_time() - state["cpu_first"]}) + "\n")

    sys.argv = [sys.argv[0], "worker", "--loglevel=warn", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
