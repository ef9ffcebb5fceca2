"""Identifiers said in a call, sealed for the call's owner and masked for everyone else.

Entry points (the API, the ASR stage, the demo's publisher) redact each utterance and, for
every phone, account, card or registration number they take out, keep two forms next to
the text: the masked one anyone may see and the value sealed with AES-256-GCM. Only the
API opens a sealed value, and only for the customer the call belongs to. The raw number
never reaches a topic, a log, a model or a table in the clear; deleting a summary (its
retention period) deletes the sealed values inside it.

The identifier's kind is the associated data, so a sealed phone number cannot be passed
off as an account number. The key comes from KCALL_PRIVACY_PII_KEY or, on one machine,
from `pii.key` in the data dir, made on first use with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agents.korean import redact
from agents.korean.kinds import PiiKind
from agents.korean.masking import MASKABLE_KINDS, mask_identifier
from services.config import Settings
from services.schemas import SealedIdentifier
from services.schemas import limits as L

__all__ = ["MissingPiiKey", "PiiVault", "load_pii_vault", "redact_and_seal"]

log = logging.getLogger(__name__)

_KEY_BYTES = 32
_NONCE_BYTES = 12
_PREFIX = "v1."
_MAX_VALUE_BYTES = 64  # longer than any identifier the redactor finds; cut, never refused


class MissingPiiKey(RuntimeError):
    """The configured key is not base64 of 32 bytes."""


class PiiVault:
    """Seals and opens identifier values with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise MissingPiiKey(f"the PII key must be {_KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)

    def seal(self, kind: str, value: str) -> str:
        """`value` encrypted under a fresh nonce, bound to `kind`."""
        nonce = os.urandom(_NONCE_BYTES)
        data = value.encode()[:_MAX_VALUE_BYTES]
        sealed = self._aead.encrypt(nonce, data, kind.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, kind: str, sealed: str) -> str | None:
        """The value, or None when `sealed` was not made by this key for `kind`."""
        if not sealed.startswith(_PREFIX):
            return None
        body = sealed[len(_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            nonce, sealed_value = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed_value, kind.encode()).decode()
        except (binascii.Error, InvalidTag, ValueError):
            return None  # another key (rotated) or a forged token: the owner sees the mask


def load_pii_vault(settings: Settings) -> PiiVault:
    """The vault of the configured key, or of the data dir's key file (made if missing).

    Raises:
        MissingPiiKey: KCALL_PRIVACY_PII_KEY is set but is not base64 of 32 bytes.
    """
    configured = settings.privacy.pii_key
    if configured is not None:
        try:
            key = base64.b64decode(configured.get_secret_value(), validate=True)
        except binascii.Error as exc:
            raise MissingPiiKey("KCALL_PRIVACY_PII_KEY is not base64") from exc
        return PiiVault(key)
    return PiiVault(_key_file(settings.paths.data / "pii.key"))


def _key_file(path: Path) -> bytes:
    """Read the key file, or create it; two processes starting together agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = secrets.token_bytes(_KEY_BYTES)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(key).decode() + "\n")
        try:
            os.link(draft, path)  # atomic and refuses to replace: the first writer wins
            log.info("privacy: made a new PII key at %s", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except binascii.Error as exc:
        raise MissingPiiKey(f"{path} is not base64") from exc
    if len(key) != _KEY_BYTES:
        raise MissingPiiKey(f"{path} does not hold a {_KEY_BYTES}-byte key")
    return key


def redact_and_seal(
    text: str, vault: PiiVault | None
) -> tuple[str, list[SealedIdentifier]]:
    """Redacted `text` and the identifiers behind its placeholders, masked and sealed.

    Without a vault the identifiers carry their masked form only.
    """
    redaction = redact(text)
    identifiers: list[SealedIdentifier] = []
    for span in redaction.spans:
        if span.kind not in MASKABLE_KINDS:
            continue
        if len(identifiers) == L.MAX_IDENTIFIERS_PER_UTTERANCE:
            break
        raw = text[span.start : span.end]
        identifiers.append(SealedIdentifier(
            kind=str(span.kind),  # type: ignore[arg-type]  # MASKABLE_KINDS are its literals
            masked=mask_identifier(PiiKind(span.kind), raw),
            sealed=vault.seal(str(span.kind), raw) if vault is not None else None,
        ))
    return redaction.text, identifiers
