"""Entry point of the embedded server process: llama-cpp-python's server plus a Gemma 3 chat format.

Run as `python -m services.llm.serve <llama_cpp.server flags>`. When the GGUF carries its
own chat template, llama-cpp-python uses it. The packaged Gemma 3 270M GGUF has none, and
llama-cpp-python then falls back to the Llama-2 format, while its built-in `gemma` format
drops the system message; so for a Gemma 3 GGUF without a template we register Google's
Gemma 3 template (system text folded into the first user turn) as `gemma3` and select it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

__all__ = ["GEMMA3_CHAT_FORMAT", "GEMMA3_TEMPLATE", "main"]

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
    """Register the Gemma 3 format, pick it when needed, then run llama-cpp-python's server.

    Besides llama-cpp-python's flags it takes `--kcall_parent_pid PID`: exit when PID dies.
    """
    from llama_cpp.server.__main__ import main as llama_server_main

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = list(sys.argv[1:] if argv is None else argv)
    parent = _pop_flag(args, "--kcall_parent_pid")
    if parent is not None:
        _exit_with_parent(int(parent))
    _register_gemma3()
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
