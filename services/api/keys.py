"""Principals and their keys: roles, bindings, argon2id hashing and the key resolver.

A key is `kcall_<key id>_<secret>`. The database keeps the key id, the argon2id hash of
the secret, the role and what the key is bound to (services.db.models.ApiKeyRow), so a key
is created, rotated or revoked with `kcall keys ...` while the API runs. Settings keys
(`KCALL_API_API_KEYS`) remain for development: key -> scopes, where an entry
`customer:<id>` binds the key to that customer and `supervisor:<name>` to that supervisor.

Roles fix the scopes; nothing a client sends can widen them:

| role       | scopes                  | bound to            |
|------------|-------------------------|---------------------|
| customer   | chat, self              | one customer id     |
| supervisor | calls:read, approvals   | the supervisor      |
| ingest     | calls:write             | the ingesting system|
| viewer     | calls:read              | the screen or team  |
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.db.repositories.api_access import StoredKey

__all__ = [
    "KEY_PREFIX",
    "ROLE_SCOPES",
    "DATABASE_ROLES",
    "KeyResolver",
    "KeyStore",
    "NewKey",
    "Principal",
    "Role",
    "hash_secret",
    "issue_key",
    "split_key",
    "static_principals",
    "verify_secret",
]

Role = Literal["customer", "supervisor", "ingest", "viewer", "staff"]
KEY_PREFIX = "kcall"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "customer": frozenset({"chat", "self"}),
    "supervisor": frozenset({"calls:read", "approvals"}),
    "ingest": frozenset({"calls:write"}),
    "viewer": frozenset({"calls:read"}),
}
DATABASE_ROLES = tuple(ROLE_SCOPES)

# argon2id at OWASP's minimum (19 MiB, 2 passes): the secrets are 192 random bits, so the
# hash only has to make a stolen table useless, not to stretch a weak password.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its role, what it is bound to, and its scopes."""

    key_id: str
    role: Role
    subject: str
    scopes: frozenset[str]

    @property
    def customer_id(self) -> str | None:
        """The customer a customer key is bound to (None for staff and systems)."""
        return self.subject if self.role == "customer" else None

    def can_read_all(self) -> bool:
        """Staff who may read any customer's calls."""
        return "calls:read" in self.scopes


class KeyStore(Protocol):
    """Where database keys are looked up by id."""

    def find(self, key_id: str) -> StoredKey | None:
        """The stored key, or None."""
        ...


@dataclass(frozen=True)
class NewKey:
    """A freshly issued key: `key` is shown once and never stored."""

    key_id: str
    key: str
    secret_hash: str


def hash_secret(secret: str) -> str:
    """The argon2id hash of a key's secret."""
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Whether `secret` matches the hash (constant time inside argon2)."""
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def issue_key() -> NewKey:
    """A new random key and the hash to store for it."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return NewKey(
        key_id=key_id, key=f"{KEY_PREFIX}_{key_id}_{secret}", secret_hash=hash_secret(secret)
    )


def split_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a `kcall_<id>_<secret>` key; None for any other shape."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret or len(key_id) > 32:
        return None
    return key_id, secret


def _fingerprint(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).hexdigest()


def static_principals(keys: Mapping[str, list[str]]) -> dict[str, Principal]:
    """Settings keys as principals, by the SHA-256 of the key (never the key itself)."""
    principals: dict[str, Principal] = {}
    for key, entries in keys.items():
        fingerprint = _fingerprint(key)
        key_id = "static-" + fingerprint[:8]
        scopes = frozenset(e for e in entries if ":" not in e or e.startswith("calls:"))
        bindings = dict(e.split(":", 1) for e in entries if e.split(":", 1)[0] in _BINDINGS)
        if "customer" in bindings:
            principal = Principal(key_id, "customer", bindings["customer"], ROLE_SCOPES["customer"])
        elif "supervisor" in bindings:
            principal = Principal(key_id, "supervisor", bindings["supervisor"], scopes)
        else:
            # Unbound staff key (development): chat needs a customer, so it cannot chat.
            principal = Principal(key_id, "staff", f"key:{key_id}", scopes - {"chat", "self"})
        principals[fingerprint] = principal
    return principals


_BINDINGS = ("customer", "supervisor")


@dataclass
class KeyResolver:
    """Presented key -> principal: settings keys, then database keys (argon2id).

    A verified database key is remembered for `cache_s` seconds, so each request does not
    pay for argon2; a revoked key stops working at most that long after `kcall keys revoke`.
    Wrong secrets for an existing key id are counted: past `max_failures_per_minute` the
    id is refused without running argon2 (guessing cannot buy CPU; the owner's key, once
    verified, is served from the cache meanwhile).
    """

    static: dict[str, Principal]
    cache_s: float = 10.0
    clock: Callable[[], float] = time.monotonic
    max_failures_per_minute: int = 10
    _cache: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _may_verify(self, key_id: str, now: float) -> bool:
        with self._lock:
            recent = self._failures.get(key_id)
            while recent and recent[0] <= now - 60.0:
                recent.popleft()
            return not recent or len(recent) < self.max_failures_per_minute

    def _failed(self, key_id: str, now: float) -> None:
        with self._lock:
            if len(self._failures) > 10_000:
                self._failures.clear()
            self._failures.setdefault(key_id, deque()).append(now)

    def resolve(self, presented: str, store: KeyStore | None) -> Principal | None:
        """The principal of `presented`, or None if no live key matches."""
        fingerprint = _fingerprint(presented)
        static = self.static.get(fingerprint)
        if static is not None:
            return static
        parts = split_key(presented)
        if parts is None or store is None:
            return None
        now = self.clock()
        with self._lock:
            cached = self._cache.get(fingerprint)
        if cached is not None and cached[1] > now:
            return cached[0]
        key_id, secret = parts
        stored = store.find(key_id)
        if stored is None or stored.revoked or stored.role not in ROLE_SCOPES:
            return None
        if not self._may_verify(key_id, now):
            return None  # too many wrong secrets for this key id lately: no argon2 run
        if not verify_secret(stored.secret_hash, secret):
            self._failed(key_id, now)
            return None
        role: Role = stored.role  # type: ignore[assignment]  # checked against ROLE_SCOPES
        principal = Principal(stored.key_id, role, stored.subject, ROLE_SCOPES[stored.role])
        if self.cache_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[fingerprint] = (principal, now + self.cache_s)
        return principal
