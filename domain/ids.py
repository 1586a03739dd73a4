"""Case ids: short, human-friendly, safe to read aloud over the phone.

A case id (shown to citizens as the *tracking id*) is the jurisdiction's prefix and 50 bits in
Crockford base32, e.g. ``BKL-7K3M9-Q2PXZ``. Crockford's alphabet has no I, L, O or U, and reading
tolerates the usual confusions (O for 0, I or L for 1) and missing dashes.
"""

from __future__ import annotations

import hashlib
import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BITS = 50
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PREFIX = re.compile(r"^[A-Z]{2,5}$")


def case_id_from_bytes(prefix: str, entropy: bytes) -> str:
    """A case id from at least 7 bytes of randomness (or of a hash, for idempotent submissions)."""
    if len(entropy) < 7:
        raise ValueError("need at least 7 bytes of entropy")
    number = int.from_bytes(entropy[:7], "big") >> (56 - _BITS)
    chars = "".join(ALPHABET[(number >> shift) & 31] for shift in range(_BITS - 5, -1, -5))
    return f"{prefix}-{chars[:5]}-{chars[5:]}"


def case_id_for_request(prefix: str, client_request_id: str) -> str:
    """The same client request id always names the same case: that is what makes a retry safe."""
    digest = hashlib.sha256(f"{prefix}/{client_request_id}".encode()).digest()
    return case_id_from_bytes(prefix, digest)


def normalize_case_id(text: str) -> str | None:
    """The canonical form of a case id as a person typed it, or None if it cannot be one."""
    compact = re.sub(r"[\s-]", "", text).upper()
    prefix, body = compact[:-10], compact[-10:].translate(_CONFUSABLE)
    if not _PREFIX.match(prefix) or len(body) != 10 or any(ch not in ALPHABET for ch in body):
        return None
    return f"{prefix}-{body[:5]}-{body[5:]}"
