"""Anonymous submissions are rate-limited per client address (the `limits` library, moving window).

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

TOO_MANY = ("Terlalu banyak pengaduan dari alamat Anda; silakan coba lagi dalam {wait} detik. / "
            "Too many complaints from your address; please try again in {wait} seconds.")


class SubmissionLimiter:
    def __init__(self, rule: str) -> None:
        self._item = parse(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        """Count one submission from the caller; 429 with Retry-After when over the limit."""
        address = request.client.host if request.client else "unknown"
        if not self._limiter.hit(self._item, "submit", address):
            reset_at, _ = self._limiter.get_window_stats(self._item, "submit", address)
            wait = max(1, int(reset_at - time.time()))
            raise HTTPException(429, TOO_MANY.format(wait=wait), headers={"Retry-After": str(wait)})
