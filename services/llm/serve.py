"""Entry point of the embedded server process: llama-cpp-python's server, plus two additions.

Run as `python -m services.llm.serve <llama_cpp.server flags>`.

- Chat format: when the GGUF carries its own chat template (the Qwen2.5 models: ChatML),
  llama-cpp-python uses it. The packaged Gemma 3 270M GGUF has none, and llama-cpp-python
  then falls back to the Llama-2 format, while its built-in `gemma` format drops the system
  message; so for a Gemma 3 GGUF without a template we register Google's Gemma 3 template
  (system text folded into the first user turn) as `gemma3` and select it.
- Usage on streams: llama-cpp-python's streamed chat completions carry no `usage`, and the
  client reads every reply as a stream (so a late call can be abandoned). We count the
  prompt tokens handed to `Llama.generate` and the tokens it yields (the end-of-generation
  token excluded), the same numbers a non-streamed reply reports, and put them in the
  `usage` of the stream's last chunk (the one with `finish_reason`).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["GEMMA3_CHAT_FORMAT", "GEMMA3_TEMPLATE", "install_stream_usage", "main"]

_LOG = logging.getLogger(__name__)

GEMMA3_CHAT_FORMAT = "gemma3"

# Google's Gemma 3 chat template (tokenizer_config.json), restricted to string contents.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)

# Fixed ids in the Gemma 3 vocabulary: <eos> and <end_of_turn> both end a reply.
_GEMMA3_STOP_TOKEN_IDS = [1, 106]


def _register_gemma3() -> None:
    from llama_cpp import llama_chat_format

    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=GEMMA3_TEMPLATE,
        eos_token="<eos>",
        bos_token="<bos>",
        stop_token_ids=_GEMMA3_STOP_TOKEN_IDS,
    )
    llama_chat_format.register_chat_format(GEMMA3_CHAT_FORMAT)(formatter)


@dataclass
class _Counts:
    """Tokens of the streamed request being generated (one at a time per model)."""

    prompt: int = 0
    yielded: int = 0
    last_was_eog: bool = False

    def usage(self) -> dict[str, int]:
        completion = self.yielded - (1 if self.last_was_eog else 0)
        return {
            "prompt_tokens": self.prompt,
            "completion_tokens": completion,
            "total_tokens": self.prompt + completion,
        }


_COUNTS_ATTR = "_kcall_stream_counts"


def install_stream_usage() -> bool:
    """Patch `Llama` so streamed chat completions end with a `usage` (see module docstring).

    Returns False (and changes nothing) when this llama-cpp-python lacks the methods.
    """
    import llama_cpp
    from llama_cpp import Llama

    generate = getattr(Llama, "generate", None)
    create = getattr(Llama, "create_chat_completion", None)
    is_eog = getattr(llama_cpp, "llama_vocab_is_eog", None)
    if generate is None or create is None or is_eog is None:
        return False
    if getattr(create, "_kcall_stream_usage", False):
        return True

    @functools.wraps(generate)
    def counting_generate(
        self: Llama, tokens: Sequence[int], *args: Any, **kwargs: Any
    ) -> Generator[int, Sequence[int] | None, None]:
        inner = generate(self, tokens, *args, **kwargs)
        counts: _Counts | None = getattr(self, _COUNTS_ATTR, None)
        if counts is None:
            yield from inner
            return
        counts.prompt, counts.yielded, counts.last_was_eog = len(tokens), 0, False
        sent: Sequence[int] | None = None
        try:
            while True:
                token = inner.send(sent)
                counts.yielded += 1
                counts.last_was_eog = bool(is_eog(self._model.vocab, token))
                sent = yield token
        except StopIteration:
            return None
        finally:
            inner.close()

    @functools.wraps(create)
    def create_with_stream_usage(self: Llama, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("stream"):
            return create(self, *args, **kwargs)
        counts = _Counts()
        setattr(self, _COUNTS_ATTR, counts)
        return _with_usage(self, create(self, *args, **kwargs), counts)

    create_with_stream_usage._kcall_stream_usage = True  # type: ignore[attr-defined]
    Llama.generate = counting_generate  # type: ignore[method-assign]
    Llama.create_chat_completion = create_with_stream_usage  # type: ignore[method-assign]
    return True


def _with_usage(llama: Any, chunks: Iterator[Any], counts: _Counts) -> Iterator[Any]:
    try:
        for chunk in chunks:
            choices = chunk.get("choices") if isinstance(chunk, dict) else None
            if choices and any(c.get("finish_reason") for c in choices):
                chunk["usage"] = counts.usage()
            yield chunk
    finally:
        if getattr(llama, _COUNTS_ATTR, None) is counts:
            setattr(llama, _COUNTS_ATTR, None)


def _flag(args: Sequence[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _chat_format_for(model_path: str) -> str | None:
    """`gemma3` for a Gemma 3 GGUF without a template; None lets llama-cpp-python decide."""
    from llama_cpp import Llama

    vocab = Llama(model_path=model_path, vocab_only=True, verbose=False)
    metadata = vocab.metadata
    if "tokenizer.chat_template" in metadata:
        return None
    if metadata.get("general.architecture") == "gemma3":
        return GEMMA3_CHAT_FORMAT
    return None


def _pop_flag(args: list[str], name: str) -> str | None:
    value = _flag(args, name)
    if value is not None:
        index = next(i for i, arg in enumerate(args) if arg == name or arg.startswith(name + "="))
        del args[index : index + (1 if "=" in args[index] else 2)]
    return value


def _exit_with_parent(parent_pid: int) -> None:
    """SIGTERM ourselves (a clean uvicorn shutdown) once the parent is gone, so no orphans."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        _LOG.warning("parent %s is gone; shutting down", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> None:
    """Register the Gemma 3 format (picked when needed) and stream usage, then run the server.

    Besides llama-cpp-python's flags it takes `--kcall_parent_pid PID`: exit when PID dies.
    """
    from llama_cpp.server.__main__ import main as llama_server_main

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = list(sys.argv[1:] if argv is None else argv)
    parent = _pop_flag(args, "--kcall_parent_pid")
    if parent is not None:
        _exit_with_parent(int(parent))
    _register_gemma3()
    if not install_stream_usage():
        _LOG.warning("this llama-cpp-python cannot be taught stream usage; streams carry none")
    model_path = _flag(args, "--model")
    if model_path and _flag(args, "--chat_format") is None:
        chosen = _chat_format_for(model_path)
        if chosen:
            args += ["--chat_format", chosen]
        _LOG.info("chat format: %s", chosen or "from the GGUF template")
    sys.argv = [sys.argv[0], *args]
    llama_server_main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
