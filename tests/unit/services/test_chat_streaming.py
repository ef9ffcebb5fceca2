"""Chat replies stream: model wording word by word as it comes, checked before it is shown;
a reply worded by code never waits for (or calls) the model."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver

from agents.chat_wording import StreamedWording, WordingRejected
from agents.graph import build_graph
from services.api.assistant import GraphAssistant
from services.api.wording import ReplyReset
from services.llm import LlmTimeoutError
from tests.fixtures.api import FakeBackends, fake_app
from tests.unit.agents.fakes import Ports, approval_graph_of, ports, world

GENERAL = "안녕하세요"  # no policy passage scores high enough to quote: the model words it


class ScriptedWording:
    """Yields the given deltas, logging each, or raises `error` after them."""

    def __init__(self, deltas: list[str], *, error: Exception | None = None) -> None:
        self.deltas = deltas
        self.error = error
        self.calls = 0
        self.log: list[str] = []
        self.user = ""

    async def stream(self, *, system: str, user: str, call_id: str) -> AsyncGenerator[str, None]:
        self.calls += 1
        self.user = user
        for delta in self.deltas:
            self.log.append(f"sent:{delta}")
            yield delta
        if self.error is not None:
            raise self.error


def _assistant(fakes: Ports, wording: ScriptedWording) -> GraphAssistant:
    graph = build_graph(InMemorySaver())
    return GraphAssistant(graph, fakes.context(), approval_graph=approval_graph_of(graph),
                          wording=wording)


def _ask(assistant: GraphAssistant, text: str, log: list[str] | None = None) -> list[str]:
    async def collect() -> list[str]:
        pieces = []
        async for piece in assistant.reply(session_id="s1", customer_id="C1", text=text):
            if log is not None:
                log.append(f"got:{piece}")
            pieces.append(piece)
        return pieces

    return anyio.run(collect)


def test_model_wording_reaches_the_customer_word_by_word_as_it_is_generated() -> None:
    wording = ScriptedWording(["안내해 ", "드릴", "게요. ", "앱에서 ", "확인하실 ", "수 있어요."])
    pieces = _ask(_assistant(ports(world(None)), wording), GENERAL, wording.log)
    assert "".join(pieces) == "안내해 드릴게요. 앱에서 확인하실 수 있어요."
    # The first words were shown before the model had produced the rest.
    assert wording.log.index("got:안내해 ") < wording.log.index("sent:앱에서 ")
    assert wording.calls == 1
    assert "안내 문서:" in wording.user and GENERAL in wording.user


def test_a_cited_policy_answer_comes_from_code_without_the_model() -> None:
    wording = ScriptedWording(["쓰면 ", "안 ", "돼요."])
    pieces = _ask(_assistant(ports(world(None)), wording), "이번 달 요금 얼마 나왔어요?")
    assert wording.calls == 0
    assert "(출처: 자주 묻는 질문" in "".join(pieces)


def test_a_dispute_is_answered_by_the_rules_without_the_model() -> None:
    wording = ScriptedWording(["쓰면 ", "안 ", "돼요."])
    fakes = ports(world("duplicate_charge"))
    pieces = _ask(_assistant(fakes, wording), "컬러링이 두 번 청구됐어요")
    assert wording.calls == 0
    assert fakes.ledger.total == 1_650
    assert "1,650원" in "".join(pieces)


def test_a_number_the_passages_do_not_hold_is_never_shown_and_the_reply_is_reset() -> None:
    wording = ScriptedWording(["고객님, ", "이번 ", "달은 ", "7,700원 ", "돌려드릴게요."])
    pieces = _ask(_assistant(ports(world(None)), wording), GENERAL)
    assert pieces[:3] == ["고객님, ", "이번 ", "달은 "]
    assert not any("7,700" in piece for piece in pieces)
    assert isinstance(pieces[-1], ReplyReset)
    assert pieces[-1] and "7,700" not in pieces[-1]


def test_a_model_that_stalls_before_any_word_falls_back_to_the_faq_text() -> None:
    wording = ScriptedWording([], error=LlmTimeoutError("stream stalled for 3.0s"))
    pieces = _ask(_assistant(ports(world(None)), wording), GENERAL)
    assert pieces and not any(isinstance(piece, ReplyReset) for piece in pieces)
    assert all(piece.strip() for piece in pieces)


def test_an_impolite_or_cut_off_reply_is_replaced() -> None:
    wording = ScriptedWording(["앱에서 ", "확인하면 ", "됨"])
    pieces = _ask(_assistant(ports(world(None)), wording), GENERAL)
    assert isinstance(pieces[-1], ReplyReset)


def test_over_http_a_reset_is_its_own_event() -> None:
    wording = ScriptedWording(["고객님, ", "주민번호 ", "900101-1234567을 ", "알려 주세요."])
    backends = FakeBackends(chat=None)
    app, _ = fake_app(backends)
    backends.chat = _assistant(ports(world(None)), wording)  # type: ignore[assignment]
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/web-1/messages", json={"text": GENERAL}, headers={"X-API-Key": "world-key"}
        )
    assert response.status_code == 200
    body = response.text
    assert body.startswith("data: 고객님, \n\n")
    assert "event: reset\ndata: " in body
    assert "900101" not in body
    assert body.endswith("event: done\ndata: \n\n")


# Syllables that spell no Korean number word (삼, 오, 하나, ... would be read as numbers).
_SYLLABLES = "가나다라마바자차카타파고노도로모보소조초토포호기니디리미비지치키티피히"
_WORD = st.text(st.sampled_from(_SYLLABLES), min_size=1, max_size=5).filter(
    lambda word: "하나" not in word
)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(_WORD, min_size=1, max_size=12),
    cuts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=40),
    number=st.integers(min_value=10, max_value=99_999),
    at=st.integers(min_value=0, max_value=12),
)
def test_whatever_the_chunking_an_ungrounded_number_is_never_released(
    words: list[str], cuts: list[int], number: int, at: int
) -> None:
    passage = "요금제는 앱에서 바꿀 수 있어요."
    text = " ".join([*words[:at], f"{number:,}원", *words[at:]]) + "요."
    guard = StreamedWording(passages=[passage], question="요금제 바꾸고 싶어요")
    released = ""
    deltas, rest = [], text
    for size in cuts:
        deltas.append(rest[:size])
        rest = rest[size:]
    deltas.append(rest)
    try:
        for delta in deltas:
            released += guard.feed(delta)
        released += guard.finish()
    except WordingRejected as exc:
        assert exc.reason.startswith(("amount_not_in_rules", "number_not_in_sources"))
    assert f"{number:,}" not in released
    assert released == guard.released
    assert text.startswith(released)


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(_WORD, min_size=1, max_size=12),
    cuts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=40),
)
def test_a_clean_polite_reply_is_released_whole_whatever_the_chunking(
    words: list[str], cuts: list[int]
) -> None:
    text = " ".join(words) + " 있어요."
    guard = StreamedWording(passages=["안내"], question="질문")
    released, rest = "", text
    for size in cuts:
        released += guard.feed(rest[:size])
        rest = rest[size:]
    released += guard.feed(rest) + guard.finish()
    assert released == text
