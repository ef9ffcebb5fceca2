"""Authentication with rate limits (per address, per key, per principal) and a size limit."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import Forbidden, RateLimited, Unauthorized
from services.api.keys import KeyResolver, KeyStore, Principal

__all__ = ["BodySizeLimit", "KeyAuthority", "Principal", "TokenBucket"]

_MAX_BUCKETS = 50_000


@dataclass
class TokenBucket:
    """Requests per minute per bucket key; refills continuously."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> bool:
        """Spend one token for `key`; False when the bucket is empty."""
        now = self.clock()
        rate = self.per_minute / 60.0
        with self._lock:
            if len(self._state) > _MAX_BUCKETS:
                self._prune(now, rate)
            tokens, last = self._state.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1.0, now)
            return True

    def _prune(self, now: float, rate: float) -> None:
        # Buckets that have refilled are the same as no bucket: forget them, so random
        # unknown keys cannot grow the table without bound.
        full = float(self.per_minute)
        for key, (tokens, last) in list(self._state.items()):
            if tokens + (now - last) * rate >= full:
                del self._state[key]

    def seconds_per_token(self) -> int:
        """Whole seconds until one more token refills (for a Retry-After header)."""
        return max(1, math.ceil(60.0 / self.per_minute))


class KeyAuthority:
    """Checks an `Authorization: Bearer <key>` or `X-API-Key` value and rate-limits callers.

    Order matters: the source address's bucket is spent first and the presented key's
    bucket before the key is looked up, so unknown or missing keys are limited too (and
    cannot make the server run argon2 without limit); a known key then also spends its
    principal's bucket, shared by every key of the same customer or supervisor.
    """

    def __init__(
        self,
        resolver: KeyResolver,
        limiter: TokenBucket,
        *,
        address_limiter: TokenBucket | None = None,
    ) -> None:
        self._resolver = resolver
        self._limiter = limiter
        self._address_limiter = address_limiter

    def authorize(
        self,
        presented: str | None,
        scope: str,
        *,
        alternatives: tuple[str, ...] = (),
        address: str = "unknown",
        store: KeyStore | None = None,
    ) -> Principal:
        """The principal for the key, if it has `scope` and is within its rates."""
        if self._address_limiter is not None:
            self._spend(self._address_limiter, f"addr:{address}")
        if not presented:
            raise Unauthorized("API 키가 없거나 올바르지 않습니다 (missing or unknown API key)")
        self._spend(self._limiter, "key:" + hashlib.sha256(presented.encode()).hexdigest()[:32])
        principal = self._resolver.resolve(presented, store)
        if principal is None:
            raise Unauthorized("API 키가 없거나 올바르지 않습니다 (missing or unknown API key)")
        if scope not in principal.scopes and not principal.scopes.intersection(alternatives):
            raise Forbidden(f"이 키에는 '{scope}' 권한이 없습니다 (scope '{scope}' required)")
        self._spend(self._limiter, f"principal:{principal.role}:{principal.subject}")
        return principal

    @staticmethod
    def _spend(bucket: TokenBucket, key: str) -> None:
        if not bucket.take(key):
            raise RateLimited(
                "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요 (rate limit)",
                retry_after_s=bucket.seconds_per_token(),
            )


class BodySizeLimit:
    """Rejects bodies over `max_bytes` with 413 before the app reads them (ASGI middleware).

    A declared Content-Length over the limit is refused at once. A chunked body is counted
    as it arrives: past the limit the 413 goes out, the app is told the client left
    (so it stops reading) and whatever it still tries to send is dropped.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count body bytes as they arrive and answer 413 past the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _reject(send, self.max_bytes)
            return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    await _reject(send, self.max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The app failed because we cut its body off; the 413 is already out.
            if not rejected:
                raise


async def _reject(send: Send, max_bytes: int) -> None:
    body = (
        '{"error":"payload_too_large","detail":"요청 본문이 '
        + str(max_bytes)
        + ' 바이트를 넘습니다 (body too large)"}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
