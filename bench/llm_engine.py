"""Embedded LLM engine bench: prefill and decode speed, latency per request type, Korean tokens.

Starts the embedded llama.cpp server (Gemma 3 270M Q4_K_M), then measures through the same
client the graph uses:
- prefill tokens/s (long distinct prompts, one output token) and the prefix-cache gain of
  a repeated system prompt;
- decode tokens/s from a stream (deltas after the first over the time they took);
- latency of four request types: intent choice, claim extraction (both schema-constrained),
  summary and chat reply (text);
- prompt tokens of the Korean prompts against an English baseline of the same content,
  counted by the served model's tokenizer (/extras/tokenize).

Last line: `RESULT {json}`; value = Korean prompt tokens, baseline = English prompt tokens,
ratio = baseline / value (higher is better: Korean costs no more than English).
Run: .venv/bin/python bench/llm_engine.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from enum import StrEnum
from typing import Any

import httpx
from pydantic import BaseModel

from services.config import Settings
from services.llm import ChatMessage, EmbeddedLlmServer, OpenAICompatibleClient

REPEATS = 2

SYSTEM_KO = (
    "당신은 한국 통신사 고객센터의 상담 보조 시스템입니다. 고객의 발화를 읽고 요청받은 형식으로만 "
    "답하십시오. 개인정보는 이미 가려져 있습니다. 요금, 결제, 요금제 변경, 해지, 번호이동, 로밍, "
    "데이터 사용량, 단말기, 통화 품질, 부가서비스, 소액결제, 명의 변경 문의를 다룹니다."
)
SYSTEM_EN = (
    "You are the agent-assist system of a Korean telecom call center. Read the customer's "
    "utterance and answer only in the requested format. Personal data is already masked. You "
    "handle billing, payment, plan change, cancellation, number porting, roaming, data usage, "
    "devices, call quality, value-added services, micropayments and account holder changes."
)

TASKS: dict[str, dict[str, str]] = {
    "intent_choice": {
        "ko": "고객: 이번 달에 해외 간 적도 없는데 로밍 요금이 만 이천 원 나왔어요. "
        "이거 빼 주세요.",
        "en": "Customer: I never went abroad this month but I was charged 12,000 won for "
        "roaming. Please remove it.",
    },
    "claim_extraction": {
        "ko": "고객: 지난달 청구서에 컬러링 부가서비스 삼천삼백 원이 두 번 찍혀 있어요. 저는 "
        "가입한 적도 없고요, 중복으로 나간 것까지 전부 돌려받고 싶습니다.",
        "en": "Customer: Last month's bill shows the ringback-tone add-on of 3,300 won twice. I "
        "never subscribed to it, and I want everything back, including the duplicate charge.",
    },
    "summary": {
        "ko": "상담 내용: 고객이 무제한 요금제인데 데이터 초과 요금이 부과되었다고 문의함. "
        "상담원이 사용 내역을 확인하고 과금 오류를 인정함. "
        "초과 요금 팔천팔백 원을 다음 달 청구서에서 감면하기로 안내함. "
        "고객은 약정이 두 달 남았고 다른 통신사로 옮길지 고민 중이라고 말함. "
        "이 상담을 세 문장으로 요약하십시오.",
        "en": "Call notes: the customer, on an unlimited plan, asked why a data overage fee was "
        "charged. The agent checked the usage history and admitted a billing error. The agent "
        "said the 8,800 won overage will be credited on next month's bill. The customer said "
        "the contract ends in two months and is considering moving to another carrier. "
        "Summarize this call in three sentences.",
    },
    "chat_reply": {
        "ko": "요금제를 더 싼 걸로 바꾸고 싶은데, 지금 바꾸면 위약금이 있나요?",
        "en": "I want to switch to a cheaper plan; is there a penalty if I change it now?",
    },
}


class Intent(StrEnum):
    BILLING_DISPUTE = "billing_dispute"
    ROAMING = "roaming"
    CANCELLATION = "cancellation"
    PLAN_CHANGE = "plan_change"
    OTHER = "other"


class IntentChoice(BaseModel):
    intent: Intent
    confident: bool


class Service(StrEnum):
    RINGBACK_TONE = "ringback_tone"
    ROAMING = "roaming"
    DATA = "data"
    MICROPAYMENT = "micropayment"
    OTHER = "other"


class ChargeClaim(BaseModel):
    service: Service
    amount_krw: int
    times_charged: int
    consented: bool


class Claim(BaseModel):
    intent: Intent
    charge: ChargeClaim


class FreeText(BaseModel):
    note: str


def messages(system: str, user: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def count_tokens(http: httpx.AsyncClient, root: str, text: str) -> int:
    response = await http.post(f"{root}/extras/tokenize", json={"input": text})
    return len(response.json()["tokens"]) - 1  # minus the BOS the endpoint adds


async def prefill(client: OpenAICompatibleClient) -> dict[str, float]:
    """Distinct long prompts, one output token: prompt tokens over latency."""
    rates = []
    body = (SYSTEM_KO + " " + TASKS["summary"]["ko"] + " ") * 3
    for i in range(REPEATS + 1):
        result = await client.chat(messages(f"요청 {i}번. " + SYSTEM_KO, body), max_tokens=1)
        rates.append(result.usage.prompt_tokens / (result.latency_ms / 1000))
    cold = rates[1:]  # the first request also warms the engine up
    # Same system prompt, different user text: llama.cpp reuses the cached common prefix.
    base = messages(SYSTEM_KO * 3, "첫 번째 질문입니다.")
    await client.chat(base, max_tokens=1)
    cached = await client.chat(messages(SYSTEM_KO * 3, "두 번째 질문입니다."), max_tokens=1)
    uncached = await client.chat(messages("새 대화. " + SYSTEM_KO * 3, "세 번째."), max_tokens=1)
    return {
        "prefill_tokens_per_s": round(statistics.median(cold), 1),
        "prompt_tokens": float(result.usage.prompt_tokens),
        "shared_prefix_ms": round(cached.latency_ms, 1),
        "no_shared_prefix_ms": round(uncached.latency_ms, 1),
    }


async def decode(client: OpenAICompatibleClient) -> dict[str, float]:
    """Stream a reply: time to first delta, then deltas per second after it."""
    rates, first_delays = [], []
    for i in range(REPEATS):
        started = time.perf_counter()
        stamps = []
        async for _ in client.stream_text(
            messages(SYSTEM_KO, f"{i} " + TASKS["chat_reply"]["ko"]), max_tokens=48
        ):
            stamps.append(time.perf_counter())
        first_delays.append((stamps[0] - started) * 1000)
        if len(stamps) > 2:
            rates.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
    return {
        "decode_tokens_per_s": round(statistics.median(rates), 1) if rates else 0.0,
        "time_to_first_token_ms": round(statistics.median(first_delays), 1),
    }


async def grammar_cost(client: OpenAICompatibleClient) -> dict[str, float]:
    """Milliseconds per output token: free decoding vs. a schema with one free-text string.

    llama-cpp-python applies the JSON grammar to all 262k candidate tokens before top-k at
    every step, so free-text string fields cost far more per token than enums or numbers.
    """
    prompt = messages(SYSTEM_KO, TASKS["claim_extraction"]["ko"])
    await client.chat(prompt, max_tokens=1)  # both timed requests then reuse the cached prompt
    free = await client.chat(prompt, max_tokens=8)
    schema = FreeText.model_json_schema()
    constrained = await client.chat(prompt, max_tokens=8, json_schema=schema)
    per_token = {
        "unconstrained_ms_per_token": free.latency_ms / max(1, free.usage.completion_tokens),
        "free_string_schema_ms_per_token": constrained.latency_ms
        / max(1, constrained.usage.completion_tokens),
    }
    return {k: round(v, 1) for k, v in per_token.items()}


async def latency_by_type(client: OpenAICompatibleClient) -> dict[str, dict[str, float]]:
    plans: dict[str, tuple[type[BaseModel] | None, int]] = {
        "intent_choice": (IntentChoice, 24),
        "claim_extraction": (Claim, 96),  # Gemma spends ~66 tokens on this JSON
        "summary": (None, 96),
        "chat_reply": (None, 64),
    }
    report = {}
    for name, (schema, max_tokens) in plans.items():
        runs = []
        for i in range(REPEATS):
            result = await client.chat(
                messages(SYSTEM_KO, TASKS[name]["ko"] + " " * i),
                max_tokens=max_tokens,
                json_schema=schema.model_json_schema() if schema else None,
                schema_name=schema.__name__ if schema else "reply",
                node=name,
            )
            valid = True
            if schema is not None:
                try:
                    schema.model_validate_json(result.text)
                except ValueError:
                    valid = False
            runs.append((result.latency_ms, result.usage, valid))
        report[name] = {
            "p50_ms": round(statistics.median(r[0] for r in runs), 1),
            "prompt_tokens": float(runs[0][1].prompt_tokens),
            "completion_tokens": float(statistics.median(r[1].completion_tokens for r in runs)),
            "schema_valid_rate": sum(r[2] for r in runs) / len(runs),
        }
    return report


async def korean_tokens(root: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        per_task = {}
        for name, texts in TASKS.items():
            ko = await count_tokens(http, root, SYSTEM_KO + "\n\n" + texts["ko"])
            en = await count_tokens(http, root, SYSTEM_EN + "\n\n" + texts["en"])
            chars = len(SYSTEM_KO + texts["ko"])
            per_task[name] = {"ko": ko, "en": en, "ko_chars_per_token": round(chars / ko, 2)}
    return per_task


async def main() -> None:
    settings = Settings()
    started = time.perf_counter()
    with EmbeddedLlmServer(settings) as server:
        startup_s = time.perf_counter() - started
        root = server.base_url.removesuffix("/v1")
        llm = settings.llm.model_copy(update={"timeout_s": 120.0, "max_retries": 0})
        async with OpenAICompatibleClient(llm, base_url=server.base_url) as client:
            engine = await prefill(client)
            engine.update(await decode(client))
            engine.update(await grammar_cost(client))
            latency = await latency_by_type(client)
            tokens = await korean_tokens(root)
    ko_total = sum(t["ko"] for t in tokens.values())
    en_total = sum(t["en"] for t in tokens.values())
    for name, row in latency.items():
        print(f"{name:18s} p50 {row['p50_ms']:8.1f} ms  prompt {row['prompt_tokens']:.0f} "
              f"completion {row['completion_tokens']:.0f}  valid {row['schema_valid_rate']:.0%}")
    for name, row in tokens.items():
        print(f"{name:18s} tokens ko {row['ko']:4d}  en {row['en']:4d}")
    print(f"engine: {engine}  startup {startup_s:.1f}s")
    result = {
        "bench": "llm_engine",
        "value": ko_total,
        "unit": "prompt tokens (Korean, 4 request types)",
        "baseline": en_total,
        "ratio": round(en_total / ko_total, 3),
        "details": {
            "model": "gemma-3-270m Q4_K_M via llama-cpp-python server",
            "threads": settings.llm.embedded_threads,
            "server_startup_s": round(startup_s, 2),
            **engine,
            "latency": latency,
            "tokens": tokens,
        },
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
