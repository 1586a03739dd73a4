"""AccountStore: the one place accounts change — add, disable, list, authenticate (password, second factor,
throttled sign-ins), change or reset a password."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.accounts import mfa
from api.accounts.models import (
    AGENCY_ROLES,
    ROLES,
    Account,
    ApiKey,
    RecoveryCode,
    SignInFailure,
    StaffSession,
    SubmissionKey,
)
from api.accounts.passwords import check_password
from api.accounts.throttle import (
    ThrottlePolicy,
    address_key,
    code_key,
    slow_s,
    user_address_key,
    user_key,
    wait_s,
)
from config.connections import engine_for

MIGRATIONS = Path(__file__).with_name("migrations")
USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")


class AccountError(ValueError):
    """A request the store refuses (bad username, role or agency, duplicate, unknown account)."""


class SubmissionConflict(Exception):
    """A client sent other content under an idempotency key it had used before."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the key was first used for case {case_id}")
        self.case_id = case_id


# How long a client's idempotency key stays bound to its first content. After that the key may be used
# again: other content then makes another case (its id depends on the content too), never a lost one.
SUBMISSION_KEY_DAYS = 30


class WrongPassword(ValueError):
    """The current password given with a change of password is wrong."""


class SignInThrottled(Exception):
    """Too many failed sign-ins from this address (for this username, or for all): wait `retry_after_s`."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        super().__init__(f"wait {self.retry_after_s} s")


class MfaRequired(Exception):
    """The password was right, but the account needs a valid second factor (TOTP or recovery code) too."""


@dataclass(frozen=True)
class Enrollment:
    """A new second factor, shown once: the `otpauth://` URI for an authenticator app and recovery codes."""

    username: str
    secret: str
    uri: str
    recovery_codes: list[str]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, from code: no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _now() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    def __init__(self, database_url: str, agency_exists: Callable[[str], bool], *,
                 throttle: ThrottlePolicy | None = None, hasher: PasswordHasher | None = None,
                 issuer: str = mfa.ISSUER) -> None:
        self.engine = engine_for(database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._agency_exists = agency_exists
        self.throttle = throttle or ThrottlePolicy()
        self.issuer = issuer  # the name authenticator apps show beside the username
        self.hasher = hasher or PasswordHasher()  # argon2id, the library's recommended parameters
        # Checked when the username is unknown, so such a login costs as much time as a real one.
        self._dummy_hash = self.hasher.hash("not a password of anyone")

    @classmethod
    def from_settings(cls, settings) -> AccountStore:
        """The store of these settings, its schema migrated to the newest revision."""
        from config.jurisdiction_file import load_jurisdiction

        jurisdiction = load_jurisdiction(settings.jurisdiction_file)
        store = cls(settings.database_url, lambda code: jurisdiction.agency(code) is not None,
                    throttle=ThrottlePolicy(free_user_address=settings.login_free_failures,
                                            free_address=settings.login_address_free_failures,
                                            free_user=settings.login_free_failures,
                                            max_wait_s=settings.login_max_wait_s, max_slow_s=settings.login_max_slow_s),
                    issuer=f"Aduan {jurisdiction.name}")
        store.setup()
        return store

    def setup(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return self._sessions()

    # -- administration -------------------------------------------------------------------------------

    def add(self, username: str, role: str, agency: str | None, password: str, now: datetime | None = None
            ) -> Account:
        """A new enabled account. Raises AccountError or WeakPassword (both ValueError) with the reason."""
        now = now or _now()
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("Nama pengguna: 3–64 karakter a-z, 0-9, titik, garis bawah atau tanda hubung / "
                               "username: 3-64 characters of a-z, 0-9, dot, underscore or hyphen")
        if role not in ROLES:
            raise AccountError(f"Peran tidak dikenal / unknown role {role!r}: one of {', '.join(ROLES)}")
        agency = agency.strip() if agency else None
        if role in AGENCY_ROLES and not agency:
            raise AccountError(f"Peran {role} perlu instansi (--agency) / a {role} belongs to an agency (--agency)")
        if agency and not self._agency_exists(agency):
            raise AccountError(f"Instansi tidak dikenal / unknown agency {agency!r} (not in the jurisdiction file)")
        check_password(password, username)
        account = Account(username=username, role=role, agency=agency, password_hash=self.hasher.hash(password),
                          disabled=False, created_at=now, password_changed_at=now, must_change_password=False,
                          sessions_valid_after=_second(now) - timedelta(seconds=1))
        with self._session() as session:
            session.add(account)
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"Nama pengguna sudah dipakai / username {username!r} is taken") from None
        return account

    def disable(self, username: str, now: datetime | None = None) -> Account:
        """Disable the account and end its sessions at once (every token issued until now is refused)."""
        now = now or _now()
        with self._session() as session:
            account = self._account_in(session, username)
            account.disabled = True
            self._end_sessions(session, account, now)
            session.commit()
            return account

    def get(self, username: str) -> Account | None:
        with self._session() as session:
            return session.scalar(select(Account).where(Account.username == username.strip().lower()))

    def list(self) -> list[Account]:
        with self._session() as session:
            return list(session.scalars(select(Account).order_by(Account.username)))

    # -- signing in -----------------------------------------------------------------------------------

    def sign_in_wait(self, username: str, address: str, now: datetime | None = None) -> tuple[float, float]:
        """(refuse_s, slow_s) for an attempt on `username` from `address` now, counting nothing: refuse it for
        `refuse_s` more seconds (429), else hold its answer `slow_s` seconds (api/accounts/throttle.py)."""
        now = now or _now()
        with self._session() as session:
            return self._wait(session, username, address, now)

    def begin_sign_in(self, username: str, address: str, now: datetime | None = None) -> float:
        """Count an attempt on `username` from `address` as failed before its password is checked, and return
        how long to hold its answer; raise SignInThrottled (counting nothing) while the address must wait.

        Counted first, in one transaction with the check, so that attempts sent in parallel cannot all pass
        the check before any of them has failed: each sees the ones before it. `authenticate(begun=True)`
        takes the count back for a success or a missing second-factor code."""
        now = now or _now()
        keys = self._keys(username, address)
        with self._session() as session:
            # Writes first. The no-op UPDATE opens the transaction (pysqlite's BEGIN) and, on SQLite, takes the
            # database's write lock until the commit; the savepoints below nest inside it (a SAVEPOINT opened
            # outside a transaction would commit at its release and let the lock go). Each counter's row is then
            # made if missing (0 failures), so that on PostgreSQL the FOR UPDATE below locks rows that exist.
            session.execute(update(SignInFailure).where(SignInFailure.key.in_(keys))
                            .values(failures=SignInFailure.failures))
            for key in keys:
                try:
                    with session.begin_nested():
                        session.add(SignInFailure(key=key, failures=0, last_at=now))
                        session.flush()
                except IntegrityError:
                    pass  # there already, or made by another transaction that has committed now
            refuse_s, slow = self._wait(session, username, address, now, lock=True)
            if refuse_s > 0:
                session.rollback()
                raise SignInThrottled(refuse_s)
            # Counters forgotten: of every username and address (random usernames would otherwise pile up).
            session.execute(delete(SignInFailure).where(
                SignInFailure.last_at < now - timedelta(seconds=self.throttle.forget_after_s)))
            for key in keys:
                self._add_to(session, key, 1, now)
            session.commit()
        return slow

    def authenticate(self, username: str, password: str, otp: str | None = None, *, address: str = "unknown",
                     now: datetime | None = None, begun: bool = False) -> Account | None:
        """The account if the password is right, the account enabled and, where it needs one, the second
        factor (`otp`: a TOTP code or a recovery code) valid; None otherwise, counted as a failed sign-in.

        Raises MfaRequired when the password is right but the code is missing (not counted: a client asks
        for the code only then) or wrong (counted), and SignInThrottled while the address must wait (the
        password then not checked). An unknown username costs the same argon2 check as a known one and counts
        the same, so neither the answer nor its time tells whether it exists. `begun`: `begin_sign_in` has
        counted this attempt already (the API does, to hold the answer back in between).
        """
        now = now or _now()
        if not begun:
            self.begin_sign_in(username, address, now)
        account = self.get(username) if USERNAME.match(username.strip().lower()) else None
        if account is None:
            self._verify(self._dummy_hash, password)  # as slow as a real check: timing does not tell
            return None
        if not self._verify(account.password_hash, password) or account.disabled:
            return None
        if account.mfa_required:
            if not (otp or "").strip():
                self._uncount(username, address, now, success=False)
                raise MfaRequired
            if not self._second_factor(account, otp, now):
                with self._session() as session:
                    self._add_to(session, code_key(username), 1, now)
                    session.commit()
                raise MfaRequired
        self._uncount(username, address, now, success=True)
        if self.hasher.check_needs_rehash(account.password_hash):
            account.password_hash = self.hasher.hash(password)
            with self._session() as session:
                session.execute(update(Account).where(Account.id == account.id)
                                .values(password_hash=account.password_hash))
                session.commit()
        return account

    def _keys(self, username: str, address: str) -> list[str]:
        return [user_key(username), user_address_key(username, address), address_key(address)]

    def _wait(self, session: Session, username: str, address: str, now: datetime, lock: bool = False
              ) -> tuple[float, float]:
        policy = self.throttle
        free = {user_address_key(username, address): policy.free_user_address,
                address_key(address): policy.free_address}
        query = select(SignInFailure).where(SignInFailure.key.in_(self._keys(username, address)))
        rows = session.scalars(query.with_for_update() if lock else query).all()
        forget = timedelta(seconds=policy.forget_after_s)
        live = {row.key: row for row in rows if row.last_at + forget > now}
        refuse = max([(row.last_at + timedelta(seconds=wait_s(row.failures, free[key], policy.max_wait_s))
                       - now).total_seconds() for key, row in live.items() if key in free] + [0.0])
        user = live.get(user_key(username))
        slow = slow_s(user.failures, policy.free_user, policy.max_slow_s) if user is not None else 0.0
        return max(refuse, 0.0), slow

    @staticmethod
    def _add_to(session: Session, key: str, n: int, now: datetime) -> None:
        # One statement per counter, so attempts at once in several processes all count.
        counted = session.execute(update(SignInFailure).where(SignInFailure.key == key)
                                  .values(failures=SignInFailure.failures + n, last_at=now))
        if counted.rowcount == 0 and n > 0:
            try:
                with session.begin_nested():
                    session.add(SignInFailure(key=key, failures=n, last_at=now))
            except IntegrityError:  # another process made it meanwhile
                session.execute(update(SignInFailure).where(SignInFailure.key == key)
                                .values(failures=SignInFailure.failures + n, last_at=now))

    def _uncount(self, username: str, address: str, now: datetime, success: bool) -> None:
        """Take back the count of an attempt that did not fail. A success clears its username's counters; the
        address's keeps its earlier failures (an attacker could otherwise clear it with an account of their
        own)."""
        with self._session() as session:
            if success:
                session.execute(delete(SignInFailure).where(SignInFailure.key.in_(
                    [user_key(username), user_address_key(username, address), code_key(username)])))
                others = [address_key(address)]
            else:
                others = self._keys(username, address)
            session.execute(update(SignInFailure).where(SignInFailure.key.in_(others), SignInFailure.failures > 0)
                            .values(failures=SignInFailure.failures - 1))
            session.commit()

    def _second_factor(self, account: Account, code: str, now: datetime) -> bool:
        """A TOTP code of a later time step than the last one used, or an unused recovery code; either is
        used up here (one statement each, so two requests cannot both use it)."""
        with self._session() as session:
            if mfa.looks_like_recovery_code(code):
                used = session.execute(update(RecoveryCode).where(
                    RecoveryCode.code_hash == mfa.recovery_code_hash(code),
                    RecoveryCode.username == account.username, RecoveryCode.used_at.is_(None)).values(used_at=now))
                session.commit()
                return used.rowcount == 1
            if account.totp_secret is None:
                return False
            # Only someone with the password gets here: after max_code_failures wrong codes in a day, codes of
            # the app are no longer tried (a million of them; a botnet would find one), recovery codes still are.
            wrong = session.get(SignInFailure, code_key(account.username))
            if wrong is not None and wrong.failures >= self.throttle.max_code_failures and \
                    wrong.last_at + timedelta(seconds=self.throttle.forget_after_s) > now:
                return False
            step = mfa.matching_step(account.totp_secret, code, now, account.totp_last_step)
            if step is None:
                return False
            last = Account.totp_last_step
            taken = session.execute(update(Account).where(Account.id == account.id,
                                                          (last.is_(None)) | (last < step)).values(totp_last_step=step))
            session.commit()
            return taken.rowcount == 1

    # -- the second factor and passwords ----------------------------------------------------------------

    def enroll_mfa(self, username: str, now: datetime | None = None) -> Enrollment:
        """A new TOTP secret and new recovery codes for `username` (any earlier ones stop working), and its
        sessions ended: for a first set-up as for a lost phone (`aduan users mfa-reset`)."""
        now = now or _now()
        secret, codes = mfa.new_secret(), mfa.new_recovery_codes()
        with self._session() as session:
            account = self._account_in(session, username)
            account.totp_secret, account.totp_last_step = secret, None
            session.execute(delete(RecoveryCode).where(RecoveryCode.username == account.username))
            session.add_all([RecoveryCode(code_hash=mfa.recovery_code_hash(code), username=account.username,
                                          created_at=now) for code in codes])
            self._end_sessions(session, account, now)
            session.commit()
            return Enrollment(account.username, secret, mfa.provisioning_uri(secret, account.username, self.issuer),
                              codes)

    def recovery_codes_left(self, username: str) -> int:
        with self._session() as session:
            return len(session.scalars(select(RecoveryCode.code_hash).where(
                RecoveryCode.username == username.strip().lower(), RecoveryCode.used_at.is_(None))).all())

    def change_password(self, username: str, old: str, new: str, keep_session: str | None = None, *,
                        address: str = "unknown", now: datetime | None = None) -> None:
        """The account's own change: the old password must be right (WrongPassword otherwise; counted by the
        throttle as a failed sign-in, so a stolen session cannot guess it quickly: SignInThrottled), the new
        one passes the policy (WeakPassword); every other session of the account ends, `keep_session` (the
        one asking) stays."""
        now = now or _now()
        self.begin_sign_in(username, address, now)
        account = self.get(username)
        if account is None or not self._verify(account.password_hash, old):
            raise WrongPassword("Kata sandi lama salah / the current password is wrong")
        self._uncount(username, address, now, success=True)
        if new == old:
            raise WrongPassword("Kata sandi baru harus berbeda / the new password must differ from the current one")
        check_password(new, account.username)
        with self._session() as session:
            account = self._account_in(session, username)
            account.password_hash, account.password_changed_at = self.hasher.hash(new), now
            account.must_change_password = False
            ended = delete(StaffSession).where(StaffSession.username == account.username)
            if keep_session:
                ended = ended.where(StaffSession.token_hash != _hash(keep_session))
            session.execute(ended)
            session.commit()

    def reset_password(self, username: str, now: datetime | None = None) -> str:
        """An administrator's reset: a random one-time password (returned, to hand over), every session
        ended, and a new password to be chosen at the next sign-in before anything else."""
        now = now or _now()
        password = "-".join(mfa.new_recovery_codes(2))
        with self._session() as session:
            account = self._account_in(session, username)
            account.password_hash, account.password_changed_at = self.hasher.hash(password), now
            account.must_change_password = True
            self._end_sessions(session, account, now)
            session.commit()
        return password

    def _account_in(self, session: Session, username: str) -> Account:
        account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
        if account is None:
            raise AccountError(f"Akun tidak ditemukan / no account {username!r}")
        return account

    @staticmethod
    def _end_sessions(session: Session, account: Account, now: datetime) -> None:
        account.sessions_valid_after = _second(now)
        session.execute(delete(StaffSession).where(StaffSession.username == account.username))

    # -- sessions (pages and bearer tokens) ------------------------------------------------------------

    def open_session(self, username: str, lifetime_s: float, now: datetime | None = None) -> str:
        """A new page session for `username`, ending `lifetime_s` from now at the latest; its token (for the
        cookie). Expired sessions of every account are swept out on the way."""
        now = now or _now()
        token = secrets.token_urlsafe(32)
        with self._session() as session:
            session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
            session.add(StaffSession(token_hash=_hash(token), username=username, created_at=now, last_seen_at=now,
                                     expires_at=now + timedelta(seconds=lifetime_s)))
            session.commit()
        return token

    def session_account(self, token: str, idle_s: float, now: datetime | None = None) -> Account | None:
        """The account of a live page session, which this use keeps alive; None (and the session gone) when it
        expired, sat idle longer than `idle_s`, or its account was disabled or its sessions ended.

        Statements, not object updates: a sign-out or a disabling in between makes this answer None, never an
        error. The last use is written at most every `idle_s / 4` seconds (a minute at most), not per request."""
        now = now or _now()
        key = _hash(token)
        with self._session() as session:
            found = session.execute(select(StaffSession.username, StaffSession.created_at, StaffSession.last_seen_at,
                                           StaffSession.expires_at).where(StaffSession.token_hash == key)).first()
            if found is None:
                return None
            username, created_at, last_seen_at, expires_at = found
            account = session.scalar(select(Account).where(Account.username == username))
            if expires_at <= now or last_seen_at + timedelta(seconds=idle_s) < now or account is None \
                    or account.disabled or created_at <= account.sessions_valid_after:
                session.execute(delete(StaffSession).where(StaffSession.token_hash == key))
                session.commit()
                return None
            if now - last_seen_at > timedelta(seconds=min(60.0, idle_s / 4)):
                touched = session.execute(update(StaffSession).where(StaffSession.token_hash == key)
                                          .values(last_seen_at=now))
                session.commit()
                if touched.rowcount == 0:  # ended meanwhile
                    return None
            return account

    def end_session(self, token: str) -> None:
        with self._session() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
            session.commit()

    # -- Open311 API keys -----------------------------------------------------------------------------

    def add_api_key(self, name: str, key: str | None = None, now: datetime | None = None) -> str:
        """A new key for the client `name` (or `key` as given, at least 20 characters); returns it. Only its
        hash is stored: it cannot be shown again."""
        name = name.strip().lower()
        if not USERNAME.match(name):
            raise AccountError("Nama kunci: 3–64 karakter a-z, 0-9, . _ - / "
                               "key name: 3-64 characters of a-z, 0-9, . _ -")
        key = key or secrets.token_urlsafe(24)
        if len(key) < 20:
            raise AccountError("Kunci terlalu pendek / a key has at least 20 characters")
        with self._session() as session:
            session.add(ApiKey(name=name, key_hash=_hash(key), created_at=now or _now(), revoked_at=None))
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"Nama kunci sudah dipakai / key name {name!r} is taken") from None
        return key

    def revoke_api_key(self, name: str, now: datetime | None = None) -> None:
        with self._session() as session:
            found = session.get(ApiKey, name.strip().lower())
            if found is None:
                raise AccountError(f"Kunci tidak ditemukan / no key named {name!r}")
            found.revoked_at = found.revoked_at or now or _now()
            session.commit()

    def api_keys(self) -> list[ApiKey]:
        with self._session() as session:
            return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))

    def api_key_owner(self, key: str) -> str | None:
        """The client name of a valid (not revoked) key, or None."""
        if not key:
            return None
        with self._session() as session:
            found = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
            return found.name if found is not None and found.revoked_at is None else None

    # -- idempotency keys of submissions ----------------------------------------------------------------

    def claim_submission_key(self, scope: str, client_request_id: str, fingerprint: str, case_id: str,
                             now: datetime | None = None) -> None:
        """Bind `client_request_id` (in `scope`: channel and client) to the content `fingerprint` and its case.
        The same content again passes; other content raises SubmissionConflict. One row wins a race: the
        database's primary key decides, so two API processes cannot both take one key."""
        now = now or _now()
        key_hash = hashlib.sha256(f"{scope}\x00{client_request_id}".encode()).hexdigest()
        with self._session() as session:
            session.add(SubmissionKey(key_hash=key_hash, fingerprint=fingerprint, case_id=case_id, created_at=now))
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
            found = session.get(SubmissionKey, key_hash)
            if found is not None and found.created_at < now - timedelta(days=SUBMISSION_KEY_DAYS):
                found.fingerprint, found.case_id, found.created_at = fingerprint, case_id, now
                session.commit()
                return
        if found is not None and found.fingerprint != fingerprint:
            raise SubmissionConflict(found.case_id)

    def prune_submission_keys(self, now: datetime | None = None) -> int:
        """Forget the keys older than SUBMISSION_KEY_DAYS; the number removed."""
        cutoff = (now or _now()) - timedelta(days=SUBMISSION_KEY_DAYS)
        with self._session() as session:
            removed = session.execute(delete(SubmissionKey).where(SubmissionKey.created_at < cutoff)).rowcount
            session.commit()
        return removed or 0

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _second(moment: datetime) -> datetime:
    """Token issue times have whole seconds; session cut-offs are compared at that grain."""
    return moment.replace(microsecond=0)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
