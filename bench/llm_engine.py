"""Embedded LLM engine bench: prefill, decode with and without the JSON grammar, prefix reuse,
Korean tokens per character.

Starts the embedded llama.cpp server with the configured model (default Qwen2.5-Coder-1.5B-
Instruct Q4_K_M; `KCALL_LLM_EMBEDDED_MODEL` picks another, `KCALL_LLM_EMBEDDED_THREADS` the
threads) and measures over its streamed OpenAI API, each figure the median of REPEATS:
- prefill tokens/s: distinct prompts (a unique first line defeats prefix reuse), prompt
  tokens over the time to the first streamed token;
- decode tokens/s, from the first streamed token to the last, for the post-call summary
  prompt with the bounded `SummaryDraft` JSON schema as a grammar and without it (free
  text, same prompt, same token cap): the grammar's cost;
- prefix reuse: time to first token of a request whose system prompt the previous request
  shared, against one whose system prompt differs (same length, nothing to reuse);
- Korean tokens per character of a fixed Korean call-center text, by each catalog model's
  own tokenizer (GGUF vocabularies loaded without weights), with English for reference.

Token counts come from the `usage` the embedded server puts on its streams.
Last line: `RESULT {json}`: value = decode tokens/s under the grammar, baseline = decode
tokens/s without it (same model, prompt and cap), ratio = value / baseline (higher is
better; 1.0 would mean the grammar is free).
Run: .venv/bin/python bench/llm_engine.py   (about 2-3 minutes on 2 cores)
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from agents.prompts.summary import SUMMARY_MAX_TOKENS, SUMMARY_SYSTEM, SummaryDraft, summary_user
from services.config import Settings
from services.llm import EmbeddedLlmServer
from services.llm.catalog import CATALOG
from services.llm.dialects import llama_cpp_schema
from services.llm.model import embedded_model_path

REPEATS = 2

KOREAN_TEXT = (
    "고객님, 확인해 보니 지난달 청구서에 해외 로밍 요금 이만 오천 원이 부과되어 있습니다. "
    "같은 기간 해외 사용 기록이 없어 요금은 다음 달 청구서에서 감면해 드리겠습니다. "
    "신청하지 않은 컬러링 부가서비스 삼천삼백 원도 함께 해지하고 환불 처리했습니다. "
    "약정은 두 달 남아 있으며, 요금제 변경이나 결합 할인은 앱의 요금제 메뉴에서 확인하실 수 "
    "있습니다. 더 궁금하신 점이 있으시면 언제든지 고객센터로 연락해 주세요. 감사합니다."
)
ENGLISH_TEXT = (
    "Dear customer, last month's bill shows a roaming charge of 25,000 won. There is no usage "
    "abroad in that period, so the charge will be credited on next month's bill. The "
    "ringback-tone add-on of 3,300 won that you did not request has also been cancelled and "
    "refunded. Your contract has two months left; plan changes and bundle discounts are in "
    "the plan menu of the app. If you have any other questions, please contact the call "
    "center at any time. Thank you."
)
FACTS = "청구 이의: 로밍 미사용 청구 25000원 감면 완료, 부가서비스 컬러링 해지"
TRANSCRIPT = (
    "지난달 요금에 로밍 요금이 이만 오천 원 나왔는데 저는 해외에 간 적이 없어요\n"
    "그리고 컬러링도 신청한 적이 없는데 삼천삼백 원이 빠져나갔어요\n"
    "확인하고 둘 다 돌려주세요 너무 화가 나네요"
)


@dataclass(frozen=True)
class Stream:
    prompt_tokens: int
    completion_tokens: int
    first_token_s: float  # from sending to the first content delta
    decode_s: float  # from the first content delta to the last
    text: str

    @property
    def decode_tokens_per_s(self) -> float:
        return (self.completion_tokens - 1) / self.decode_s if self.decode_s > 0 else 0.0


def stream(
    http: httpx.Client, model: str, system: str, user: str, *, max_tokens: int,
    schema: dict[str, Any] | None = None,
) -> Stream:
    body: dict[str, Any] = {
        "model": model, "max_tokens": max_tokens, "temperature": 0.0, "repeat_penalty": 1.1,
        "stream": True,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }
    if schema is not None:
        body["response_format"] = {"type": "json_object", "schema": llama_cpp_schema(schema)}
    started = time.perf_counter()
    stamps: list[float] = []
    pieces: list[str] = []
    usage: dict[str, int] = {}
    with http.stream("POST", "chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    stamps.append(time.perf_counter())
                    pieces.append(content)
    if not usage:
        raise RuntimeError("the embedded server sent no usage on its stream")
    return Stream(
        prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"],
        first_token_s=(stamps[0] if stamps else time.perf_counter()) - started,
        decode_s=(stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0,
        text="".join(pieces),
    )


def prefill(http: httpx.Client, model: str) -> dict[str, float]:
    rates, prompt_tokens = [], 0
    user = summary_user(facts=FACTS, transcript=TRANSCRIPT)
    for i in range(REPEATS + 1):
        run = stream(http, model, f"요청 번호 {i * 7919}.\n" + SUMMARY_SYSTEM, user, max_tokens=1)
        rates.append(run.prompt_tokens / run.first_token_s)
        prompt_tokens = run.prompt_tokens
    return {
        "prefill_tokens_per_s": round(statistics.median(rates[1:]), 1),  # first one warms up
        "prefill_prompt_tokens": prompt_tokens,
    }


def decode(http: httpx.Client, model: str) -> dict[str, Any]:
    user = summary_user(facts=FACTS, transcript=TRANSCRIPT)
    schema = SummaryDraft.model_json_schema()
    stream(http, model, SUMMARY_SYSTEM, user, max_tokens=1)  # both kinds reuse this prefill
    runs: dict[str, list[Stream]] = {"grammar": [], "free": []}
    for _ in range(REPEATS):
        runs["grammar"].append(
            stream(http, model, SUMMARY_SYSTEM, user, max_tokens=SUMMARY_MAX_TOKENS,
                   schema=schema))
        runs["free"].append(
            stream(http, model, SUMMARY_SYSTEM, user, max_tokens=SUMMARY_MAX_TOKENS))
    valid = 0
    for run in runs["grammar"]:
        try:
            SummaryDraft.model_validate_json(run.text)
            valid += 1
        except ValueError:
            pass
    return {
        "decode_tokens_per_s_grammar": round(
            statistics.median(r.decode_tokens_per_s for r in runs["grammar"]), 2),
        "decode_tokens_per_s_free": round(
            statistics.median(r.decode_tokens_per_s for r in runs["free"]), 2),
        "grammar_completion_tokens": statistics.median(
            r.completion_tokens for r in runs["grammar"]),
        "free_completion_tokens": statistics.median(r.completion_tokens for r in runs["free"]),
        "grammar_replies_valid": f"{valid}/{len(runs['grammar'])}",
        "grammar_reply": runs["grammar"][0].text,
    }


def prefix_reuse(http: httpx.Client, model: str) -> dict[str, float]:
    shared, cold = [], []
    for i in range(REPEATS):
        # Same system prompt as the request before: only the user turn is new.
        stream(http, model, SUMMARY_SYSTEM, f"첫 질문 {i}: 요금제 변경은 어떻게 하나요?",
               max_tokens=1)
        shared.append(stream(http, model, SUMMARY_SYSTEM,
                             f"둘째 질문 {i}: 로밍 차단은 어떻게 하나요?", max_tokens=1))
        # A system prompt that differs from the first token on: nothing to reuse.
        cold.append(stream(http, model, f"{i}번째 새 대화.\n" + SUMMARY_SYSTEM,
                           f"셋째 질문 {i}: 로밍 차단은 어떻게 하나요?", max_tokens=1))
    shared_ms = statistics.median(r.first_token_s for r in shared) * 1000
    cold_ms = statistics.median(r.first_token_s for r in cold) * 1000
    return {
        "prefix_prompt_tokens": shared[0].prompt_tokens,
        "shared_prefix_first_token_ms": round(shared_ms, 1),
        "no_shared_prefix_first_token_ms": round(cold_ms, 1),
        "prefix_reuse_speedup": round(cold_ms / shared_ms, 2),
    }


def tokens_per_character(settings: Settings) -> dict[str, dict[str, float]]:
    """Each catalog model's tokenizer on the fixed texts (vocabulary only, no weights)."""
    from llama_cpp import Llama

    report = {}
    for name in CATALOG:
        llm = settings.llm.model_copy(update={"embedded_model": name, "embedded_model_path": None})
        path = embedded_model_path(settings.model_copy(update={"llm": llm}))
        vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
        ko = len(vocab.tokenize(KOREAN_TEXT.encode(), add_bos=False, special=False))
        en = len(vocab.tokenize(ENGLISH_TEXT.encode(), add_bos=False, special=False))
        report[name] = {
            "korean_tokens": ko,
            "korean_tokens_per_char": round(ko / len(KOREAN_TEXT), 3),
            "english_tokens_per_char": round(en / len(ENGLISH_TEXT), 3),
            "vocabulary": vocab.n_vocab(),
        }
        del vocab
    return report


def main() -> None:
    settings = Settings()
    name = settings.llm.embedded_model
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with EmbeddedLlmServer(settings, startup_timeout_s=300) as server:
        startup_s = time.perf_counter() - started
        with httpx.Client(base_url=server.base_url + "/", timeout=600) as http:
            engine: dict[str, Any] = {}
            engine.update(prefill(http, settings.llm.model))
            engine.update(decode(http, settings.llm.model))
            engine.update(prefix_reuse(http, settings.llm.model))
    tokens = tokens_per_character(settings)
    for key, value in engine.items():
        print(f"{key:34s} {value}")
    for model, row in tokens.items():
        print(f"{model:20s} Korean {row['korean_tokens_per_char']:.3f} tokens/char, "
              f"English {row['english_tokens_per_char']:.3f}, vocabulary {row['vocabulary']}")
    load = round(max(load_before, os.getloadavg()[0]), 2)  # other work shares the cores
    print(f"model {name}, {settings.llm.embedded_threads} thread(s), startup {startup_s:.1f}s, "
          f"load average {load} on {os.cpu_count()} cores")
    value = engine["decode_tokens_per_s_grammar"]
    baseline = engine["decode_tokens_per_s_free"]
    result = {
        "bench": "llm_engine",
        "value": value,
        "unit": "decode tokens/s under the SummaryDraft JSON grammar",
        "baseline": baseline,
        "baseline_is": "decode tokens/s without the grammar (same model, prompt, token cap)",
        "ratio": round(value / baseline, 3) if baseline else None,
        "details": {
            "model": name,
            "threads": settings.llm.embedded_threads,
            "cores": os.cpu_count(),
            "load_average_1m": load,
            "server_startup_s": round(startup_s, 2),
            **engine,
            "korean_chars": len(KOREAN_TEXT),
            "tokens_per_char": tokens,
        },
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
