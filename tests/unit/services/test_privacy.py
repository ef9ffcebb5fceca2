"""Sealing identifiers for their owner: the vault and the entry points' redaction."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from services.config import PathSettings, PrivacySettings, Settings
from services.privacy import MissingPiiKey, PiiVault, load_pii_vault, redact_and_seal
from services.schemas import SealedIdentifier, Utterance

KEY = bytes(range(32))


def test_a_sealed_value_opens_only_with_its_key_and_kind() -> None:
    vault = PiiVault(KEY)
    sealed = vault.seal("phone", "010-1234-5678")
    assert sealed.startswith("v1.") and "1234" not in sealed
    assert vault.open("phone", sealed) == "010-1234-5678"
    assert vault.seal("phone", "010-1234-5678") != sealed  # a fresh nonce every time
    assert vault.open("account", sealed) is None  # the kind is bound to the value
    assert PiiVault(bytes(32)).open("phone", sealed) is None  # another key
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert vault.open("phone", tampered) is None
    assert vault.open("phone", "v1.!!!") is None and vault.open("phone", "raw") is None


def test_entry_redaction_keeps_masked_and_sealed_forms_in_text_order() -> None:
    vault = PiiVault(KEY)
    text = "제 번호 010-1234-5678이고 환불은 신한은행 계좌 110-234-567890으로 해 주세요"
    redacted, identifiers = redact_and_seal(text, vault)
    assert redacted == "제 번호 [전화번호]이고 환불은 신한은행 계좌 [계좌번호]으로 해 주세요"
    assert [(i.kind, i.masked) for i in identifiers] == [
        ("phone", "010-****-5678"), ("account", "****-7890")]
    assert [vault.open(i.kind, i.sealed or "") for i in identifiers] == [
        "010-1234-5678", "110-234-567890"]
    # The message that carries them still validates: the wire bounds hold.
    Utterance(call_id="c", seq=0, speaker="customer", text=redacted, start_ms=0, end_ms=1,
              confidence=1.0, identifiers=identifiers)  # fmt: skip


def test_without_a_vault_only_the_masked_form_is_kept() -> None:
    _, identifiers = redact_and_seal("010-1234-5678로 연락 주세요", None)
    assert identifiers == [SealedIdentifier(kind="phone", masked="010-****-5678")]


def test_names_are_redacted_but_not_kept() -> None:
    redacted, identifiers = redact_and_seal("제 이름은 김민준입니다", PiiVault(KEY))
    assert "김민준" not in redacted and identifiers == []


def test_a_long_list_of_numbers_is_cut_at_the_wire_bound() -> None:
    text = " ".join(f"010-1234-{i:04d}" for i in range(30))
    _, identifiers = redact_and_seal(text, PiiVault(KEY))
    assert len(identifiers) == 16


def test_the_key_file_is_made_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(paths=PathSettings(data=tmp_path / "data"))
    first = load_pii_vault(settings)
    key_file = tmp_path / "data" / "pii.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    sealed = first.seal("card", "4111111111111111")
    assert load_pii_vault(settings).open("card", sealed) == "4111111111111111"
    assert [p.name for p in key_file.parent.iterdir()] == ["pii.key"]  # no drafts left


def test_a_configured_key_wins_and_a_bad_one_is_named(tmp_path: Path) -> None:
    key = SecretStr(base64.b64encode(KEY).decode())
    settings = Settings(paths=PathSettings(data=tmp_path), privacy=PrivacySettings(pii_key=key))
    assert load_pii_vault(settings).open("phone", PiiVault(KEY).seal("phone", "x")) == "x"
    assert not (tmp_path / "pii.key").exists()
    short = PrivacySettings(pii_key=SecretStr(base64.b64encode(b"short").decode()))
    with pytest.raises(MissingPiiKey, match="32 bytes"):
        load_pii_vault(Settings(privacy=short))
    with pytest.raises(MissingPiiKey, match="not base64"):
        load_pii_vault(Settings(privacy=PrivacySettings(pii_key=SecretStr("not base64!"))))


def test_a_sealed_field_that_is_not_a_token_is_refused_on_the_wire() -> None:
    with pytest.raises(ValidationError):
        SealedIdentifier(kind="phone", masked="010-****-5678", sealed="010-1234-5678")
    with pytest.raises(ValidationError):
        SealedIdentifier(kind="name", masked="김*준")  # type: ignore[arg-type]
