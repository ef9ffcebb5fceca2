"""Pure parts of the embedded server: launcher flags, Gemma 3 template, model path, stream usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config.settings import LlmSettings, PathSettings, Settings
from services.llm.embedded import EmbeddedLlmServer
from services.llm.model import ModelNotAvailableError, embedded_model_path
from services.llm.serve import GEMMA3_TEMPLATE, _flag, _pop_flag


def render(messages: list[dict[str, str]]) -> str:
    # jinja2 arrives with llama-cpp-python, which renders this template in the server.
    sandbox = pytest.importorskip("jinja2.sandbox")
    env = sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    prompt: str = env.from_string(GEMMA3_TEMPLATE).render(
        messages=messages,
        bos_token="<bos>",
        eos_token="<eos>",
        add_generation_prompt=True,
        raise_exception=raise_exception,
    )
    return prompt


def test_gemma3_template_folds_the_system_prompt_into_the_first_user_turn() -> None:
    prompt = render(
        [
            {"role": "system", "content": "공손하게 답하십시오."},
            {"role": "user", "content": " 요금 문의요 "},
            {"role": "assistant", "content": "네, 고객님."},
            {"role": "user", "content": "감사합니다"},
        ]
    )
    assert prompt == (
        "<bos><start_of_turn>user\n공손하게 답하십시오.\n\n요금 문의요<end_of_turn>\n"
        "<start_of_turn>model\n네, 고객님.<end_of_turn>\n"
        "<start_of_turn>user\n감사합니다<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_gemma3_template_rejects_non_alternating_roles() -> None:
    with pytest.raises(ValueError, match="alternate"):
        render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])


def test_launcher_flags_are_read_and_removed() -> None:
    args = ["--kcall_parent_pid", "42", "--model", "m.gguf", "--port=9"]
    assert _flag(args, "--model") == "m.gguf" and _flag(args, "--port") == "9"
    assert _pop_flag(args, "--kcall_parent_pid") == "42"
    assert _pop_flag(args, "--port") == "9"
    assert args == ["--model", "m.gguf"]
    assert _pop_flag(args, "--chat_format") is None


def test_server_command_uses_settings_and_never_interrupts_streams(tmp_path: Path) -> None:
    settings = Settings(
        llm=LlmSettings(model="served-name", embedded_threads=3, embedded_ctx=4096),
        paths=PathSettings(data=tmp_path),
    )
    command = EmbeddedLlmServer(settings).command(tmp_path / "m.gguf", 8123)
    pairs = dict(zip(command[3::2], command[4::2], strict=True))
    assert command[1:3] == ["-m", "services.llm.serve"]
    assert pairs["--model_alias"] == "served-name"
    assert pairs["--n_threads"] == "3" and pairs["--n_ctx"] == "4096"
    assert pairs["--host"] == "127.0.0.1" and pairs["--port"] == "8123"
    assert pairs["--interrupt_requests"] == "False"


def test_configured_model_path_wins_and_must_exist(tmp_path: Path) -> None:
    gguf = tmp_path / "custom.gguf"
    missing = Settings(llm=LlmSettings(embedded_model_path=str(gguf)))
    with pytest.raises(ModelNotAvailableError, match="not found"):
        embedded_model_path(missing)
    gguf.write_bytes(b"GGUF")
    assert embedded_model_path(missing) == gguf


def test_the_last_stream_chunk_gets_the_counted_usage_and_the_counter_is_released() -> None:
    from services.llm.serve import _COUNTS_ATTR, _Counts, _with_usage

    class FakeLlama:
        pass

    llama = FakeLlama()
    counts = _Counts(prompt=57, yielded=4, last_was_eog=True)  # 3 tokens, then end-of-turn
    setattr(llama, _COUNTS_ATTR, counts)
    chunks = [
        {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]},
        {"choices": [{"delta": {"content": "네"}, "finish_reason": None}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
    ]
    out = list(_with_usage(llama, iter(chunks), counts))
    assert [("usage" in c) for c in out] == [False, False, True]
    assert out[-1]["usage"] == {"prompt_tokens": 57, "completion_tokens": 3, "total_tokens": 60}
    assert getattr(llama, _COUNTS_ATTR) is None
    # Cut at max_tokens: the last token generated is a real one and counts.
    assert _Counts(prompt=5, yielded=6).usage()["completion_tokens"] == 6
