"""The `aduan` command line: the local stack, bootstrap, workers, the API, demo data, `run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from config.jurisdiction_file import load_jurisdiction
from config.keys import KEEP_PREVIOUS, KeyRing, SecretKeyError, file_mode_problem, load_keys, new_root, rotate_key_file
from config.settings import Settings

cli = typer.Typer(help="Aduan: pengaduan masyarakat / public complaints platform.", no_args_is_help=True,
                  add_completion=False)
stack_cli = typer.Typer(help="The local Kafka broker and Elasticsearch node (deploy/local).",
                        no_args_is_help=True)
cli.add_typer(stack_cli, name="stack")
projections_cli = typer.Typer(help="The Elasticsearch projections of the case log.", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
users_cli = typer.Typer(help="Staff accounts of the officer workspace (for administrators).", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
open311_cli = typer.Typer(help="Keys of Open311 GeoReport v2 clients (for administrators).", no_args_is_help=True)
cli.add_typer(open311_cli, name="open311")
keys_cli = typer.Typer(help="The root secret the session and case-secret keys are derived from (README: Keys).",
                       no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")

audit_cli = typer.Typer(help="The audit trail of personal data (UU PDP): who saw or handled whose data.",
                        no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")
privacy_cli = typer.Typer(help="Personal data (UU PDP): access request exports, erasure, retention, orphan "
                          "photos.",
                          no_args_is_help=True)
cli.add_typer(privacy_cli, name="privacy")
sla_cli = typer.Typer(help="SLA clocks in working time: deadlines as the case agent computes them.",
                      no_args_is_help=True)
cli.add_typer(sla_cli, name="sla")

Services = Annotated[
    list[str] | None,
    typer.Option("--only", help="kafka or elasticsearch (repeatable); both when not given"),
]


class LogLevel(StrEnum):  # faust's own names
    debug = "debug"
    info = "info"
    warn = "warn"
    error = "error"
    crit = "crit"


class StaffRole(StrEnum):
    officer = "officer"
    supervisor = "supervisor"
    coordinator = "coordinator"
    admin = "admin"


def _stack_config(settings: Settings):
    from deploy.local.stack import StackConfig

    return StackConfig(
        stack_dir=settings.stack_dir,
        kafka_port=settings.kafka_port,
        kafka_controller_port=settings.kafka_controller_port,
        es_port=settings.es_port,
        es_transport_port=settings.es_transport_port,
        kafka_heap_mb=settings.kafka_heap_mb,
        es_heap_mb=settings.es_heap_mb,
    )


def _services(only: list[str] | None) -> tuple[str, ...]:
    allowed = ("kafka", "elasticsearch")
    chosen = tuple(only or allowed)
    for name in chosen:
        if name not in allowed:
            raise typer.BadParameter(f"{name!r} is not one of {', '.join(allowed)}", param_hint="--only")
    return chosen


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(1)


@stack_cli.command("up")
def stack_up(only: Services = None) -> None:
    """Fetch (once, with mvn), start and wait for Kafka and Elasticsearch on 127.0.0.1."""
    from deploy.local.stack import StackError, up

    try:
        up(_stack_config(Settings()), _services(only))
    except StackError as exc:
        raise _fail(str(exc)) from None


@stack_cli.command("down")
def stack_down(only: Services = None) -> None:
    """Stop exactly the processes `aduan stack up` started."""
    from deploy.local.stack import StackError, down

    try:
        down(_stack_config(Settings()), _services(only))
    except StackError as exc:
        raise _fail(str(exc)) from None


@stack_cli.command("status")
def stack_status(only: Services = None) -> None:
    """Say what runs where, with its memory."""
    from deploy.local.stack import status

    for s in status(_stack_config(Settings()), _services(only)):
        typer.echo(f"{s.name:14} {'running' if s.running else 'stopped':8} pid={s.pid or '-'} "
                   f"port={s.port} {s.detail if s.running else ''}".rstrip())


@projections_cli.command("rebuild")
def projections_rebuild(
    delete_old: Annotated[bool, typer.Option(help="delete the old index once the alias has moved")] = False,
) -> None:
    """Rebuild the cases index from the beginning of cases.events into a new index, then switch the alias
    to it; the old index keeps serving until then."""
    from stream_processors.rebuild import rebuild

    try:
        rebuild(Settings(), log=typer.echo, delete_old=delete_old)
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"rebuild failed: {exc}") from None


@cli.command()
def bootstrap() -> None:
    """Create the topics and indices that are missing; report those that differ from the settings."""
    from aduan.bootstrap import bootstrap as run_bootstrap

    settings = Settings()
    try:
        _migrate_accounts(settings)
        run_bootstrap(settings)
    except Exception as exc:  # noqa: BLE001 - the CLI's job is to say what failed
        raise _fail(f"bootstrap failed: {exc}") from None


def _migrate_accounts(settings: Settings) -> None:
    """Bring the accounts database to the newest migration (made on first use)."""
    from aduan.bootstrap import ensure_accounts_schema

    ensure_accounts_schema(settings)


@cli.command("staff-token")
def staff_token(
    username: Annotated[str, typer.Argument(help="the username of an existing, enabled staff account")],
) -> None:
    """Print a bearer token for the officer API for an existing, enabled staff account, without its password
    (a session of the account, as POST /api/v1/auth/token gives; it ends in the same ways). For the host's
    administrators, tests and development: it opens the accounts database itself."""
    settings = Settings()
    store = _account_store()
    try:
        account = store.get(username)
        if account is None or account.disabled:
            raise _fail(f"no enabled staff account {username!r}: add one with `aduan users add`")
        typer.echo(store.open_session(account.username, settings.staff_token_ttl_s))
    finally:
        store.close()


def _account_store():
    from api.accounts import AccountStore

    try:
        return AccountStore.from_settings(Settings())
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"the accounts database could not be opened: {exc}") from None


@contextmanager
def _accounts():
    """The accounts store for one command, closed after it; a request the store refuses (ValueError:
    AccountError, WeakPassword) ends the command with the store's message."""
    store = _account_store()
    try:
        yield store
    except ValueError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Kata sandi / password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _show_enrollment(enrollment) -> None:
    """The second factor's set-up, shown once: it cannot be read back later."""
    typer.echo(f"second factor (TOTP) of {enrollment.username}: add this to an authenticator app "
               "(type it in, or make a QR code of it):")
    typer.echo(f"  {enrollment.uri}")
    typer.echo("recovery codes (each works once, in place of a code; keep them apart from the phone):")
    for code in enrollment.recovery_codes:
        typer.echo(f"  {code}")


@users_cli.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="3-64 characters of a-z, 0-9, dot, underscore, hyphen")],
    role: Annotated[StaffRole, typer.Option(help="officer, supervisor, coordinator or admin")],
    agency: Annotated[str | None, typer.Option(help="agency code of the jurisdiction file (officers and "
                                                    "supervisors must have one)")] = None,
    mfa: Annotated[bool, typer.Option(help="set up a second factor (TOTP) now; coordinators and admins always "
                                           "get one")] = False,
) -> None:
    """Add a staff account. The password is asked twice (hidden), or read as one line from standard input
    when that is not a terminal. At least 8 characters, not a common password, not the username. For a
    coordinator or admin (or with --mfa) it prints, once, the `otpauth://` URI of the account's second
    factor and its recovery codes."""
    from api.accounts.mfa import MFA_ROLES

    with _accounts() as store:
        account = store.add(username, role.value, agency, _read_password())
        enrollment = store.enroll_mfa(account.username) if mfa or account.role in MFA_ROLES else None
    typer.echo(f"added {account.username} ({account.role}{', ' + account.agency if account.agency else ''})")
    if enrollment is not None:
        _show_enrollment(enrollment)


@users_cli.command("mfa-reset")
def users_mfa_reset(username: Annotated[str, typer.Argument(help="the account whose second factor is replaced")]
                    ) -> None:
    """Give an account a new second factor (a lost or new phone; or a first one for an officer or supervisor
    who wants it): a new `otpauth://` URI and new recovery codes, printed once. The old ones stop working
    and the account's sessions end."""
    with _accounts() as store:
        enrollment = store.enroll_mfa(username)
    _show_enrollment(enrollment)


@users_cli.command("reset-password")
def users_reset_password(username: Annotated[str, typer.Argument(help="the account whose password is reset")]
                         ) -> None:
    """Reset an account's password (forgotten, or feared known): prints a one-time password to hand over in
    person. Every session of the account ends, and at its next sign-in it must choose a new password before
    anything else (the page /petugas/sandi, or POST /api/v1/auth/password)."""
    with _accounts() as store:
        password = store.reset_password(username)
    typer.echo(f"one-time password of {username.strip().lower()}: {password}")
    typer.echo("its sessions have ended; it must choose a new password at its next sign-in")


@users_cli.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="the account to disable")]) -> None:
    """Disable an account: it can no longer sign in, and its tokens are refused at once."""
    with _accounts() as store:
        account = store.disable(username)
    typer.echo(f"disabled {account.username}; its sessions have ended")


@users_cli.command("list")
def users_list() -> None:
    """List the accounts: username, role, agency, whether disabled, whether a second factor is set up (and how
    many recovery codes are left), whether a password change is due."""
    with _accounts() as store:
        rows = [(a, store.recovery_codes_left(a.username) if a.totp_secret else 0) for a in store.list()]
    typer.echo(f"{'username':24} {'role':12} {'agency':16} {'disabled':9} {'mfa':14} password")
    for a, codes in rows:
        mfa = f"yes ({codes} codes)" if a.totp_secret else ("MISSING" if a.mfa_required else "no")
        typer.echo(f"{a.username:24} {a.role:12} {a.agency or '-':16} {'yes' if a.disabled else 'no':9} {mfa:14} "
                   f"{'must change' if a.must_change_password else 'ok'}")


@open311_cli.command("add-key")
def open311_add_key(
    name: Annotated[str, typer.Argument(help="who the key is for: 3-64 characters of a-z, 0-9, dot, underscore, "
                                             "hyphen")],
    key: Annotated[str | None, typer.Option(help="use this key (at least 20 characters) instead of a random one")]
    = None,
) -> None:
    """Create an Open311 API key and print it (once: only its hash is kept). Clients send it as `api_key`
    when they POST a service request."""
    with _accounts() as store:
        made = store.add_api_key(name, key)
    typer.echo(made)


@open311_cli.command("revoke-key")
def open311_revoke_key(name: Annotated[str, typer.Argument(help="the key's name")]) -> None:
    """Revoke an Open311 API key: requests with it are refused (403) from now on."""
    with _accounts() as store:
        store.revoke_api_key(name)
    typer.echo(f"revoked the key {name}")


@open311_cli.command("list-keys")
def open311_list_keys() -> None:
    """List the Open311 keys by name, with when each was made and revoked (never the keys themselves)."""
    with _accounts() as store:
        keys = store.api_keys()
    typer.echo(f"{'name':24} {'created':26} revoked")
    for k in keys:
        typer.echo(f"{k.name:24} {k.created_at.isoformat(timespec='seconds'):26} "
                   f"{k.revoked_at.isoformat(timespec='seconds') if k.revoked_at else 'no'}")


@keys_cli.command("rotate")
def keys_rotate(
    keep: Annotated[int, typer.Option(min=0, max=10, help="previous roots to keep accepting, the one replaced now "
                                      "first; 0 after a leak: every session and case link made before ends")]
    = KEEP_PREVIOUS,
) -> None:
    """Make a new root secret in the key file and keep the current one as the newest previous root, so what it
    signed (staff page sessions, citizens' case links) stays valid. Then restart every API process."""
    settings = Settings()
    if settings.secret_key.get_secret_value():
        raise _fail(
            "Kunci akar diambil dari ADUAN_SECRET_KEY / the root secret comes from ADUAN_SECRET_KEY, not from the "
            "key file: nothing was changed. Rotate it where it is set:\n"
            "  1. put the current ADUAN_SECRET_KEY first in ADUAN_PREVIOUS_SECRET_KEYS (comma-separated, newest "
            f"first; keep about {KEEP_PREVIOUS})\n"
            "  2. set ADUAN_SECRET_KEY to a new root (`aduan keys new`, or `openssl rand -hex 32`)\n"
            "  3. restart every API process with both settings")
    path = settings.secret_key_file
    try:
        before, after = rotate_key_file(path, keep)
    except (SecretKeyError, OSError) as exc:
        raise _fail(f"Rotasi gagal / rotation failed: {exc}") from None
    names = KeyRing(after[0], tuple(after[1:]), str(path)).fingerprints()
    dropped = len(before) - (len(after) - 1)
    typer.echo(f"Kunci akar baru / new root secret {names[0]} in {path}"
               + ("" if before else " (there was no key file: nothing signed before is accepted)"))
    typer.echo(f"previous roots, still accepted: {', '.join(names[1:]) or 'none'}"
               + (f"; no longer accepted: {dropped}" if dropped > 0 else ""))
    if settings.previous_secret_keys.get_secret_value():
        typer.echo("ADUAN_PREVIOUS_SECRET_KEYS is set too: its roots stay accepted beside these.")
    typer.echo("Selanjutnya / next: restart every API process (each reads the key file once, at start), all with "
               "this same file. Until they restart they sign with the old root, which the restarted ones accept.")


@keys_cli.command("status")
def keys_status() -> None:
    """Where the root secret comes from and a fingerprint of each root, never a secret: the same fingerprints on
    two machines mean the same roots."""
    settings = Settings()
    from_env = bool(settings.secret_key.get_secret_value())
    path = settings.secret_key_file
    if not from_env and not path.exists():
        typer.echo(f"source: {path}, not made yet (the API makes it at its first start)")
        return
    try:
        keys = load_keys(settings.secret_key.get_secret_value(), settings.previous_secret_keys.get_secret_value(),
                         path, create=False)
    except (SecretKeyError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"source: {'ADUAN_SECRET_KEY' if from_env else path}")
    typer.echo(f"current root: {keys.fingerprints()[0]}")
    typer.echo(f"previous roots, newest first: {', '.join(keys.fingerprints()[1:]) or 'none'}")
    problem = None if from_env else file_mode_problem(path)
    if problem:
        typer.secho(f"warning: {problem}", err=True, fg=typer.colors.YELLOW)


@keys_cli.command("new")
def keys_new() -> None:
    """Print a new random root secret, for a deployment that sets ADUAN_SECRET_KEY (the key file needs none:
    `aduan keys rotate` writes its own)."""
    typer.echo(new_root())

class AuditAction(StrEnum):  # api/accounts/audit.py ACTIONS
    view_contact = "privacy.view_contact"
    view_photo = "privacy.view_photo"
    export = "privacy.export"
    erase = "privacy.erase"


def _audit_log():
    from api.accounts import AuditLog

    try:
        return AuditLog.from_settings(Settings())
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"the accounts database could not be opened: {exc}") from None


@audit_cli.command("list")
def audit_list(
    case: Annotated[str | None, typer.Option("--case", help="only this case (a tracking id)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="only this staff member (or host user)")] = None,
    action: Annotated[AuditAction | None, typer.Option("--action", help="only this action")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="at most this many entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array on standard output")] = False,
) -> None:
    """List the audit trail, newest first: who saw a reporter's contact or a private photo, and who exported or
    erased personal data, when, for which case, and why."""
    import json

    from domain.ids import normalize_case_id

    case_id = None
    if case:
        case_id = normalize_case_id(case)
        if case_id is None:
            raise _fail(f"{case!r} is not a tracking id (e.g. BKL-ABCDE-12345)")
    audit = _audit_log()
    try:
        rows = audit.entries(case_id, user.strip() if user else None, action.value if action else None,
                             limit)
    finally:
        audit.close()
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'when (UTC)':20} {'who':20} {'action':22} {'case':16} reason / detail")
    for r in rows:
        typer.echo(f"{r.at.strftime('%Y-%m-%d %H:%M:%S'):20} {r.actor:20} {r.action:22} {r.case_id or '-':16} "
                   f"{r.reason or '-'} / {r.detail or '-'}")


@privacy_cli.command("export")
def privacy_export(
    tracking_id: Annotated[str, typer.Argument(help="the case whose reporter asked for their data")],
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON to this file (mode 0600) instead of "
                                                            "standard output")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why: e.g. the request's number (no personal "
                                                                 "data: it is kept in the audit trail)")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="who asks, for the audit trail (default: the host "
                                                              "user running this)")] = None,
) -> None:
    """Everything Aduan holds about a case's reporter, as JSON (an access request, UU PDP): the complaint as
    submitted with the contact, the reporter's own texts, the photos' files, the case's audit trail, each
    with where it comes from. Recorded in the audit trail as privacy.export. Messages go to standard error."""
    import asyncio
    import json

    from aduan.privacy import PrivacyError, export_case, os_user, write_private

    settings = Settings()
    audit = _audit_log()
    try:
        export = asyncio.run(export_case(settings, tracking_id, audit, (as_user or os_user()).strip(), reason, out))
    except (PrivacyError, ValueError) as exc:
        raise _fail(f"no export: {exc}") from None
    finally:
        audit.close()
    text = json.dumps(export, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
        return
    try:
        write_private(out, text + "\n")
    except OSError as exc:
        raise _fail(f"could not write {out}: {exc}") from None
    typer.echo(f"wrote the export of {export['tracking_id']} to {out} (readable by its owner only); "
               "recorded as privacy.export", err=True)


@privacy_cli.command("erase")
def privacy_erase(
    tracking_id: Annotated[str, typer.Argument(help="the case whose personal data is to be erased")],
    reason: Annotated[str | None, typer.Option("--reason", help="why: e.g. the request's number (no personal "
                                                                 "data: it is kept in the audit trail); asked "
                                                                 "for when not given")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="who erases, for the audit trail (default: the host "
                                                              "user running this)")] = None,
    wait: Annotated[float, typer.Option("--wait", min=0, max=600, help="seconds to wait for the cases index to "
                                                                      "show the case erased")] = 30.0,
) -> None:
    """Erase a case's personal data for good (UU PDP; crypto-shredding): destroy its data key, so nothing of the
    reporter's contact, texts, address or coordinates in Kafka can be read again, delete its photos, and record
    case.personal_data_erased, from which every view shows the fields as erased ("dihapus"). The case's public record
    and its performance figures stay. Recorded in the audit trail as privacy.erase. Cannot be undone."""
    import asyncio

    from aduan.privacy import PrivacyError, erase_case, os_user

    if reason is None:
        if not sys.stdin.isatty():
            raise _fail("no erasure: give --reason (why, e.g. the request's number)")
        reason = typer.prompt(f"Alasan / reason for erasing the personal data of {tracking_id}")
    if not reason.strip():
        raise _fail("no erasure: the reason is empty")
    settings = Settings()
    audit = _audit_log()
    try:
        erased = asyncio.run(erase_case(settings, tracking_id, (as_user or os_user()).strip(), reason.strip(),
                                        wait, audit))
    except PrivacyError as exc:
        raise _fail(f"no erasure: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Kafka away, say: the steps done stay done, run it again
        raise _fail(f"erasure not finished ({exc}); what was done stays done: run the same command again") from None
    finally:
        audit.close()
    typer.echo(erased.summary())


@privacy_cli.command("due")
def privacy_due(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="at most this many cases")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array on standard output")] = False,
) -> None:
    """List what the worker's retention job would do now (a dry run): the erasures that stopped half-way, then
    the cases closed, rejected or merged more than ADUAN_PERSONAL_DATA_RETENTION_DAYS ago, oldest first."""
    import asyncio
    import json

    from aduan.privacy import PrivacyError, due_cases

    settings = Settings()
    try:
        due = asyncio.run(due_cases(settings, limit))
    except PrivacyError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(due, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{len(due)} case(s): erasures to finish, then cases closed over "
               f"{settings.personal_data_retention_days} days ago", err=True)
    for case in due:
        if case["erasure"] == "unfinished":
            typer.echo(f"{case['tracking_id']:16} unfinished: its key is destroyed, the index does not show it")
        else:
            typer.echo(f"{case['tracking_id']:16} {case['status']:9} closed {case['closed_at']}")


@privacy_cli.command("sweep-photos")
def privacy_sweep_photos(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would be deleted, delete nothing")] = False,
) -> None:
    """Delete the photos of submissions Kafka never confirmed: folders of case ids with no case in the cases
    index, unchanged for ADUAN_PHOTO_ORPHAN_GRACE_S. If the index cannot be read, nothing is deleted (exit 1).
    Each API process also does this every ADUAN_PHOTO_SWEEP_EVERY_S."""
    import asyncio

    from aduan.privacy import sweep_photos
    from api.photo_sweep import SweepRefused

    try:
        result = asyncio.run(sweep_photos(Settings(), dry_run, say=lambda m: typer.echo(m, err=True)))
    except SweepRefused as exc:
        raise _fail(f"sweep refused: {exc}") from None
    typer.echo(result.summary())


class ClockName(StrEnum):
    dispatch = "dispatch"
    response = "response"
    resolution = "resolution"


@sla_cli.command("deadline")
def sla_deadline(
    start: Annotated[str, typer.Option("--start", help="when the clock starts: ISO 8601 with its offset, e.g. "
                                                       "2026-08-11T10:00:00+07:00")],
    working_days: Annotated[int | None, typer.Option("--working-days", min=1, max=365,
                                                     help="N working days (default: the policy's)")] = None,
    category: Annotated[str | None, typer.Option("--category", help="a category code: its policy's rule (e.g. "
                                                                    "its calendar-day cap) applies")] = None,
    clock: Annotated[ClockName, typer.Option("--clock", help="which clock of the policy")] = ClockName.resolution,
) -> None:
    """Print when a clock started at --start falls due under the jurisdiction's SLA policy (ADUAN_JURISDICTION_FILE):
    first the deadline, an ISO 8601 local timestamp, then each day it skipped (weekends, public holidays, cuti
    bersama, the jurisdiction's own days off), by name. The day the clock starts never counts."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from domain.jurisdiction import ClockPolicy
    from domain.sla import calendar_for, deadline

    try:
        started = datetime.fromisoformat(start)
    except ValueError:
        raise _fail(f"--start {start!r} is not an ISO 8601 time (e.g. 2026-08-11T10:00:00+07:00)") from None
    if started.tzinfo is None:
        raise _fail(f"--start {start!r} has no offset: add it (+07:00 for WIB)")
    if category is None and working_days is None:
        raise _fail("give --working-days N, or --category CODE for that category's policy")
    jurisdiction = load_jurisdiction(Settings().jurisdiction_file)
    if category is not None and jurisdiction.category(category) is None:
        raise _fail(f"unknown category {category!r}: one of {', '.join(c.code for c in jurisdiction.categories)}")
    policy = jurisdiction.sla.clock(clock.value, category) if category else ClockPolicy(working_days=working_days)
    if working_days is not None:
        policy = policy.model_copy(update={"working_days": working_days, "seconds": None})
    due = deadline(jurisdiction, started, policy)
    zone = ZoneInfo(jurisdiction.timezone)
    typer.echo(due.astimezone(zone).isoformat())
    rule = (f"{policy.seconds} s" if policy.seconds is not None else f"{policy.working_days} hari kerja / working "
            "days, the day it starts not counted")
    if policy.max_calendar_days is not None:
        rule += f", at most {policy.max_calendar_days} calendar days"
    typer.echo(f"rule: {rule} ({jurisdiction.timezone}, {jurisdiction.sla.day_start:%H:%M}-"
               f"{jurisdiction.sla.day_end:%H:%M})")
    skipped = calendar_for(jurisdiction).skipped_days(started.astimezone(zone).date(), due.astimezone(zone).date())
    typer.echo(f"skipped: {len(skipped)} day(s)")
    for day, local, english in skipped:
        typer.echo(f"  {day.isoformat()}  {local} / {english}")


class WorkerRole(StrEnum):
    all = "all"
    cases = "cases"
    projection = "projection"
    sla = "sla"


@cli.command()
def worker(
    loglevel: Annotated[LogLevel, typer.Option(help="how much the worker logs")] = LogLevel.info,
    role: Annotated[WorkerRole, typer.Option(envvar="ADUAN_WORKER_ROLE", help="what this worker runs: cases (the "
                                             "case agent, its tables, the SLA timer), projection (Elasticsearch "
                                             "writes), sla (the SLA timer alone) or all")] = WorkerRole.all,
    sla_timer: Annotated[bool, typer.Option(help="run the SLA timer in a cases worker (off when an sla worker "
                                                 "runs)")] = True,
) -> None:
    """Run a faust worker (by default the case agent, the projection and the SLA timer). Start several to share
    partitions."""
    from aduan.bootstrap import bootstrap as run_bootstrap
    from aduan.privacy import RetentionJob
    from stream_processors.worker import build_worker

    settings = Settings()
    run_bootstrap(settings, log=lambda m: typer.echo(m, err=True))
    # The retention job runs where Elasticsearch is written (and the photos are reachable), on the leader only.
    jobs = [RetentionJob(settings)] if role.value in ("all", "projection") and settings.retention_every_s else []
    build_worker(settings, load_jurisdiction(settings.jurisdiction_file), role.value,
                 sla_timer=sla_timer, jobs=jobs).run(loglevel.value)


@cli.command()
def api(
    host: Annotated[str | None, typer.Option(help="bind address (default ADUAN_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default ADUAN_API_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="log every request (method, path, status)")] = True,
) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    settings = Settings()
    try:
        settings.keys()  # refused here, with its reason, rather than in each worker process; made once if missing
    except (SecretKeyError, OSError) as exc:
        raise _fail(f"the root secret cannot be used: {exc}") from None
    try:
        _migrate_accounts(settings)  # once here, before the worker processes start
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"the accounts database could not be prepared: {exc}") from None
    from config.logs import logging_config

    config = logging_config(settings)
    # X-Forwarded-For and -Proto are believed from the listed proxies only (none by default: uvicorn's own
    # default would believe 127.0.0.1, so anything on the host could pose as any client address).
    proxies = settings.trusted_proxies.strip()
    uvicorn.run("api.app:create_app", factory=True, host=host or settings.api_host, port=port or settings.api_port,
                workers=workers, log_level="info", access_log=access_log, proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None,
                **({"log_config": config} if config else {}))


@cli.command()
def demo(count: Annotated[int, typer.Option(help="how many demo complaints to submit")] = 40) -> None:
    """Put demo complaints on Kafka, as an import channel would; a running worker routes and indexes them."""
    from aduan.demo import submit_demo_complaints

    settings = Settings()
    try:
        ids = submit_demo_complaints(settings, count, log=typer.echo)
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"demo data failed: {exc}") from None
    typer.echo(f"{len(ids)} demo complaints submitted, e.g. {settings.base_url}/api/v1/complaints/{ids[0]}")


@cli.command()
def run(
    demo_count: Annotated[int, typer.Option(help="demo complaints to load (0 for none)")] = 40,
    workers: Annotated[int, typer.Option(help="faust worker processes")] = 1,
    keep_stack: Annotated[bool, typer.Option(help="leave Kafka and Elasticsearch running on exit")] = False,
) -> None:
    """Everything on one machine: stack, bootstrap, worker(s), API, demo data. Ctrl-C stops it all."""
    from aduan.bootstrap import bootstrap as run_bootstrap
    from aduan.demo import ensure_demo_accounts, submit_demo_complaints, wait_ready, work_demo_cases

    settings = Settings()
    # Ctrl-C, and a polite SIGTERM, end the loop below and stop everything in `finally`; SIGINT is
    # set explicitly because a shell that starts us in the background leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack_up()
    supervisor: WorkerSupervisor | None = None
    api: subprocess.Popen | None = None
    try:
        run_bootstrap(settings)
        exe = [sys.executable, "-m", "aduan.cli"]

        def start_worker(i: int) -> subprocess.Popen:
            env = {**os.environ, "ADUAN_WORKER_WEB_PORT": str(settings.worker_web_port + i),
                   "ADUAN_WORKER_METRICS_PORT": str(settings.worker_metrics_port + i if settings.worker_metrics_port
                                                    else 0)}
            return subprocess.Popen([*exe, "worker"], env=env, start_new_session=True)

        supervisor = WorkerSupervisor(start_worker, workers, log=lambda m: typer.echo(m, err=True))
        api = subprocess.Popen([*exe, "api"], start_new_session=True)
        wait_ready(settings.base_url, timeout_s=120)
        example = ""
        if demo_count:
            ensure_demo_accounts(settings, log=typer.echo)
            ids = submit_demo_complaints(settings, demo_count, log=typer.echo)
            work_demo_cases(settings, ids, log=typer.echo)
            example = f"\nA demo case: {settings.base_url}/api/v1/complaints/{ids[0]}"
        typer.secho(f"\nAduan is running: {settings.base_url}  (API docs: {settings.base_url}/docs){example}\n"
                    "Press Ctrl-C to stop.", fg=typer.colors.GREEN, bold=True)
        while api.poll() is None and not supervisor.gave_up.is_set():
            time.sleep(1)
        if supervisor.gave_up.is_set():
            raise _fail(f"a worker exited more than {MAX_WORKER_RESTARTS} times in 10 minutes; see the output above")
        raise _fail("the API stopped; see the output above")
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
    finally:
        if supervisor is not None:
            supervisor.stop()
        if api is not None:
            _stop(api)
        if not keep_stack:
            stack_down()


MAX_WORKER_RESTARTS = 5  # in 10 minutes, before `aduan run` gives up


class WorkerSupervisor:
    """`aduan run`'s workers, as Kubernetes keeps them on a cluster: one that exits (a worker's watchdog exits
    on a stall) is started again after a growing pause (1, 2, 4 … 30 s), from the moment they start; past
    MAX_WORKER_RESTARTS exits in 10 minutes it gives up and sets `gave_up`."""

    def __init__(self, start: Callable[[int], subprocess.Popen], count: int, log: Callable[[str], None],
                 every_s: float = 1.0, first_pause_s: float = 1.0) -> None:
        self._start, self._log = start, log
        self._every_s, self._first_pause_s = every_s, first_pause_s
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.gave_up = threading.Event()
        self.procs = [start(i) for i in range(count)]
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        exits: list[float] = []
        while not self._stopping.wait(self._every_s):
            for i in range(len(self.procs)):
                code = self.procs[i].poll()
                if code is None:
                    continue
                now = time.monotonic()
                exits = [t for t in exits if t > now - 600] + [now]
                if len(exits) > MAX_WORKER_RESTARTS:
                    self.gave_up.set()
                    return
                pause = min(self._first_pause_s * 2 ** (len(exits) - 1), 30.0)
                self._log(f"worker {i + 1} exited with code {code}; starting it again in {pause:g} s")
                if self._stopping.wait(pause):
                    return
                with self._lock:
                    if not self._stopping.is_set():
                        self.procs[i] = self._start(i)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        with self._lock:
            for proc in self.procs:
                _stop(proc)


def _stop(child: subprocess.Popen, timeout_s: float = 20) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
