#!/usr/bin/env bash
# `make audit`: pip-audit of the locked set as written in the lock (hashed pins; nothing is installed),
# each advisory accepted in the exceptions file passed as --ignore-vuln. --strict: a package that could not
# be audited fails the run, so a vulnerability service that cannot be reached (or knows none of the
# packages) never passes for a clean report. Extra arguments go to pip-audit (e.g. `-s osv`).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
lock=${1:?usage: $0 LOCK EXCEPTIONS [PIP-AUDIT ARGS...]}
exceptions=${2:?usage: $0 LOCK EXCEPTIONS [PIP-AUDIT ARGS...]}
shift 2

ignore=()
while read -r id reason; do
  case "$id" in '' | '#'*) continue ;; esac
  if [ -z "$reason" ]; then
    echo "make audit: $exceptions: $id has no reason (one a line: ID, then why it is accepted)" >&2
    exit 2
  fi
  ignore+=(--ignore-vuln "$id")
done <"$exceptions"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$here/.venv/bin/pip-audit" --require-hashes --disable-pip --strict --progress-spinner off \
  -r "$lock" "${ignore[@]}" "$@" 2>"$log"
rc=$?
cat "$log" >&2
if [ "$rc" -eq 0 ]; then
  echo "make audit: clean: no known advisory in $lock beyond the $((${#ignore[@]} / 2)) accepted in $exceptions"
  exit 0
fi
if grep -q -E 'could not be audited|ConnectionError|NameResolutionError|Max retries|Timeout|ServiceError' "$log"; then
  echo "make audit: FAILED, no report: the vulnerability service could not be reached or had no data" \
    "for a locked package (pip-audit's error above). Run it where the service answers, or pass" \
    "another with AUDIT_ARGS='-s osv'." >&2
else
  echo "make audit: FAILED: the advisories above are not accepted in $exceptions; raise the pin" \
    "(pyproject.toml floor, then make lock) or accept one there with its reason." >&2
fi
exit 1
