"""API keys with scopes, a per-key rate limit and a request-size limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import Forbidden, RateLimited, Unauthorized


@dataclass
class TokenBucket:
    """Requests per minute per key; refills continuously."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> bool:
        """Spend one token for `key`; False when the bucket is empty."""
        now = self.clock()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._state.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1.0, now)
            return True

    def seconds_per_token(self) -> int:
        """Whole seconds until one more token refills (for a Retry-After header)."""
        return max(1, math.ceil(60.0 / self.per_minute))


@dataclass(frozen=True)
class Principal:
    """Who is calling, with what scopes."""

    key_id: str
    scopes: frozenset[str]


class KeyAuthority:
    """Checks an `Authorization: Bearer <key>` or `X-API-Key` value against the settings."""

    def __init__(self, keys: dict[str, list[str]], limiter: TokenBucket) -> None:
        self._keys = {key: frozenset(scopes) for key, scopes in keys.items()}
        self._limiter = limiter

    def authorize(self, presented: str | None, scope: str) -> Principal:
        """The principal for the key, if it has `scope` and is within its rate."""
        if not presented or presented not in self._keys:
            raise Unauthorized("API 키가 없거나 올바르지 않습니다 (missing or unknown API key)")
        scopes = self._keys[presented]
        if scope not in scopes:
            raise Forbidden(f"이 키에는 '{scope}' 권한이 없습니다 (scope '{scope}' required)")
        key_id = presented[:4] + "…"
        if not self._limiter.take(presented):
            raise RateLimited(
                "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요 (rate limit)",
                retry_after_s=self._limiter.seconds_per_token(),
            )
        return Principal(key_id=key_id, scopes=scopes)


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
