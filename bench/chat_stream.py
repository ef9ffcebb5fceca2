"""Assistant chat: time to the first word the customer sees, streamed vs. whole.

The model words a general chat answer (the FAQ passages and the question, as the API's
assistant sends them). Streamed (what the API does now): tokens come as generated and
`agents.chat_wording` releases each checked word at once; the value is the time to the
first released word. Baseline, in the same run on the same server: the whole reply is
generated, then shown (what the API did before), so the customer waited for the last
token. Runs alternate so load on the machine hits both alike. Both also report the total
time. Runs on the embedded llama.cpp server (or KCALL_LLM_BASE_URL).

`--burn N` runs N CPU-bound processes beside it. Last line: `RESULT {json}`; value =
median seconds to the first word streamed, baseline = median seconds to the whole reply,
ratio = baseline / value.
Run: .venv/bin/python bench/chat_stream.py [--runs 5] [--burn 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from contextlib import ExitStack, aclosing

from agents.chat_wording import StreamedWording, WordingRejected
from agents.prompts.chat import CHAT_STREAM_SYSTEM, chat_user
from services.api.wording import LlmWordingStream
from services.config import Settings
from services.llm import OpenAICompatibleClient, llm_endpoint

# Questions the assistant words with the model (no passage scores high enough to quote).
QUESTIONS = [
    ("데이터 쉐어링은 어떻게 신청하나요?",
     ["데이터 쉐어링은 앱의 부가서비스 메뉴에서 신청할 수 있어요."]),
    ("해외에 가는데 뭘 해야 하나요?",
     ["해외 로밍은 출국 전에 앱이나 고객센터에서 신청할 수 있어요."]),
    ("유심을 바꾸고 싶어요",
     ["유심 교체는 가까운 대리점에서 신분증을 가지고 하실 수 있어요."]),
]
MAX_TOKENS = 96


def _burn() -> None:
    while True:
        pass


async def _streamed(client: OpenAICompatibleClient, question: str, passages: list[str]) -> dict:
    stream = LlmWordingStream(client, timeout_s=240.0, max_tokens=MAX_TOKENS)
    guard = StreamedWording(passages=passages, question=question)
    started = time.perf_counter()
    first: float | None = None
    outcome = "ok"
    deltas = stream.stream(system=CHAT_STREAM_SYSTEM,
                           user=chat_user(question=question, passages=passages),
                           call_id="bench")
    try:
        async with aclosing(deltas):
            async for delta in deltas:
                if guard.feed(delta) and first is None:
                    first = time.perf_counter() - started
        guard.finish()
    except WordingRejected as exc:
        outcome = exc.reason
    total = time.perf_counter() - started
    return {"first_s": first if first is not None else total, "total_s": total,
            "outcome": outcome}


async def _whole(client: OpenAICompatibleClient, question: str, passages: list[str]) -> dict:
    started = time.perf_counter()
    text = "".join([
        delta async for delta in client.stream_text(
            [{"role": "system", "content": CHAT_STREAM_SYSTEM},
             {"role": "user", "content": chat_user(question=question, passages=passages)}],
            max_tokens=MAX_TOKENS, node="bench", timeout_s=240.0)
    ])
    total = time.perf_counter() - started
    return {"first_s": total, "total_s": total, "chars": len(text)}


async def _run(base_url: str, settings: Settings, runs: int) -> tuple[list[dict], list[dict]]:
    llm = settings.llm.model_copy(update={"max_retries": 0, "timeout_s": 240.0})
    client = OpenAICompatibleClient(llm, base_url=base_url)
    streamed: list[dict] = []
    whole: list[dict] = []
    try:
        await _whole(client, *QUESTIONS[0])  # warm the prompt cache and the weights
        for index in range(runs):
            question, passages = QUESTIONS[index % len(QUESTIONS)]
            streamed.append(await _streamed(client, question, passages))
            whole.append(await _whole(client, question, passages))
            print(f"run {index + 1}: first word {streamed[-1]['first_s']:.2f} s "
                  f"(streamed, {streamed[-1]['outcome']}), "
                  f"whole reply {whole[-1]['total_s']:.2f} s", flush=True)
    finally:
        await client.aclose()
    return streamed, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--burn", type=int, default=0, help="CPU-bound processes beside it")
    args = parser.parse_args()
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burn)]
    for burner in burners:
        burner.start()
    settings = Settings()
    try:
        with ExitStack() as stack:
            base_url = stack.enter_context(llm_endpoint(settings))
            streamed, whole = asyncio.run(_run(base_url, settings, args.runs))
    finally:
        for burner in burners:
            burner.terminate()
    value = statistics.median(r["first_s"] for r in streamed)
    baseline = statistics.median(r["total_s"] for r in whole)
    rejected = sum(1 for r in streamed if r["outcome"] != "ok")
    print(f"first word streamed: median {value:.2f} s; whole reply: median {baseline:.2f} s; "
          f"streamed replies rejected by the checks: {rejected}/{len(streamed)}")
    print("RESULT " + json.dumps({
        "bench": "chat_stream", "value": round(value, 3), "unit": "s",
        "baseline": round(baseline, 3),
        "ratio": round(baseline / value, 2), "runs": args.runs, "burn": args.burn,
        "streamed_total_s": round(statistics.median(r["total_s"] for r in streamed), 3),
        "rejected": rejected, "model": settings.llm.model,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
