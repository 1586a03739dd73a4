"""Rate limits of anonymous submissions per client address (the `limits` library, moving window). Failed
sign-ins are throttled elsewhere, with counters shared by every API process (api/accounts/throttle.py).

The address is the connection's peer as uvicorn sees it: the socket's address, or, from a reverse proxy
listed in ADUAN_TRUSTED_PROXIES (`aduan api` hands them to uvicorn), the client address of X-Forwarded-For.
From any other peer X-Forwarded-For is ignored.

The submission counters live in the API process: with several API processes each counts on its own, so the
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


class AddressLimiter:
    def __init__(self, rule: str, name: str, message: str) -> None:
        self._item = parse(rule)
        self._name, self._message = name, message
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        """Count one attempt from the caller's address; 429 with Retry-After when over the limit."""
        if not self._limiter.hit(self._item, self._name, client_address(request)):
            self._refuse(request)

    def _refuse(self, request: Request) -> None:
        reset_at, _ = self._limiter.get_window_stats(self._item, self._name, client_address(request))
        wait = max(1, int(reset_at - time.time()))
        raise HTTPException(429, self._message.format(wait=wait), headers={"Retry-After": str(wait)})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def submission_limiter(rule: str) -> AddressLimiter:
    return AddressLimiter(rule, "submit", TOO_MANY_SUBMISSIONS)
