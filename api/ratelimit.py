"""Rate limits per client address (the `limits` library, moving window): anonymous submissions, and
failed sign-ins (on top of the per-account lockout, so one address cannot try password after password
across many usernames; successful ones are not counted, so an office behind one address is not locked
out by its own staff signing in).

The address is the connection's peer: behind a reverse proxy, run the API with the proxy's address in
uvicorn's `--forwarded-allow-ips` (FORWARDED_ALLOW_IPS) so the client's own address is used.

The counters live in the API process: with several API processes each counts on its own, so the
effective limit is multiplied by their number (a shared store, e.g. Redis, is a setting away in
`limits` when that matters).
"""

from __future__ import annotations

import time

from fastapi import HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

TOO_MANY_SUBMISSIONS = ("Terlalu banyak pengaduan dari alamat Anda; silakan coba lagi dalam {wait} detik. / "
                        "Too many complaints from your address; please try again in {wait} seconds.")
TOO_MANY_SIGN_INS = ("Terlalu banyak percobaan masuk yang gagal dari alamat Anda; silakan coba lagi dalam {wait} "
                     "detik. / Too many failed sign-ins from your address; please try again in {wait} seconds.")


class AddressLimiter:
    def __init__(self, rule: str, name: str, message: str) -> None:
        self._item = parse(rule)
        self._name, self._message = name, message
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        """Count one attempt from the caller's address; 429 with Retry-After when over the limit."""
        if not self._limiter.hit(self._item, self._name, _address(request)):
            self._refuse(request)

    def refuse_when_over(self, request: Request) -> None:
        """429 with Retry-After when the caller's address has used its attempts; counts nothing."""
        if not self._limiter.test(self._item, self._name, _address(request)):
            self._refuse(request)

    def count(self, request: Request) -> None:
        """Count one attempt (a failed sign-in) from the caller's address."""
        self._limiter.hit(self._item, self._name, _address(request))

    def _refuse(self, request: Request) -> None:
        reset_at, _ = self._limiter.get_window_stats(self._item, self._name, _address(request))
        wait = max(1, int(reset_at - time.time()))
        raise HTTPException(429, self._message.format(wait=wait), headers={"Retry-After": str(wait)})


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def submission_limiter(rule: str) -> AddressLimiter:
    return AddressLimiter(rule, "submit", TOO_MANY_SUBMISSIONS)


def sign_in_limiter(rule: str) -> AddressLimiter:
    return AddressLimiter(rule, "sign-in", TOO_MANY_SIGN_INS)
