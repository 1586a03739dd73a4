#!/usr/bin/env bash
# Runs a command with the local stack up, and stops the stack afterwards whatever the command did.
# Used by `make test` and `make bench`; exits with the command's own status.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
aduan="$here/.venv/bin/aduan"
if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]   (runs COMMAND with Kafka and Elasticsearch up)" >&2
  exit 2
fi
"$aduan" stack up || exit 1
trap '"$aduan" stack down' EXIT
trap 'exit 130' INT TERM
"$@"
