"""Idempotency keys of money-moving requests: a key may come back only with the same request.

The decisions themselves are idempotent in the database (an approval is decided once; the
same decision by the same supervisor is a retry), so a key here only has to catch a client
that reuses one key for a different request. Keys are remembered per principal key, the
newest `max_entries` of them, for `ttl_s`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["IDEMPOTENCY_KEY_PATTERN", "IdempotencyKeys"]

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class IdempotencyKeys:
    """(principal key, idempotency key) -> the fingerprint of the request that used it."""

    def __init__(
        self,
        *,
        max_entries: int = 100_000,
        ttl_s: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()

    def claim(self, owner: str, key: str, fingerprint: str) -> bool:
        """Record the key's first use; False if it was used with another fingerprint."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get((owner, key))
            if entry is not None and entry[1] > now:
                return entry[0] == fingerprint
            self._entries[(owner, key)] = (fingerprint, now + self._ttl)
            self._entries.move_to_end((owner, key))
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
            return True
