"""Settings, nested by area, read from `KCALL_*` variables and `.env`.

`KCALL_<AREA>_<FIELD>` sets a nested field, for example `KCALL_KAFKA_BOOTSTRAP`,
`KCALL_DATABASE_URL`, `KCALL_LLM_BASE_URL`. Area names contain no underscore so the
first underscore after the prefix always splits area from field.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """Broker connection; no bootstrap means start the embedded tansu broker."""

    bootstrap: str | None = Field(
        default=None, description="host:port list of an external Kafka; unset = embedded tansu"
    )
    security_protocol: str = Field(default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_SSL")
    sasl_mechanism: str | None = Field(default=None, description="PLAIN, SCRAM-SHA-512, ...")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    partitions: int = Field(default=4, ge=1, description="partitions per topic when we create it")
    group_prefix: str = Field(default="kcall", description="consumer group = prefix.stage")
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1000, ge=100)
    fetch_max_wait_ms: int = Field(default=100, ge=0, description="consumer latency vs. batching")
    max_poll_records: int = Field(default=200, ge=1)
    max_attempts: int = Field(default=3, ge=1, description="handler attempts before the DLQ")


class DatabaseSettings(BaseModel):
    """Relational store for billing, calls, insights, ledger and the graph checkpointer."""

    url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset = SQLite file under the data dir"
    )
    echo: bool = False


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
    api_key: SecretStr = SecretStr("not-needed")
    model: str = Field(default="gemma-3-270m", description="served model name")
    dialect: LlmDialect = LlmDialect.LLAMA_CPP
    timeout_s: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    concurrency: int = Field(default=4, ge=1)
    breaker_failures: int = Field(default=5, ge=1, description="failures that open the breaker")
    breaker_reset_s: float = Field(default=30.0, gt=0)
    enabled: bool = Field(default=True, description="false = deterministic paths only")
    embedded_threads: int = Field(default=2, ge=1)
    embedded_ctx: int = Field(default=2048, ge=512)
    embedded_model_path: str | None = Field(
        default=None, description="GGUF file; unset = assemble the packaged Gemma 3 270M"
    )


class AsrSettings(BaseModel):
    """Whisper engine options."""

    engine: str = Field(default="faster-whisper", description="faster-whisper | openai-whisper | transformers")
    model_dir: str | None = Field(
        default=None, description="CTranslate2 model dir; unset = assemble packaged Whisper base"
    )
    device: str = Field(default="cpu", description="cpu | cuda")
    compute_type: str = Field(default="int8", description="int8 on CPU, float16 on GPU")
    beam_size: int = Field(default=1, ge=1)
    threads: int = Field(default=2, ge=1)
    language: str = "ko"
    vad: bool = True
    max_utterance_s: float = Field(default=20.0, gt=0, description="force a cut after this long")
    min_silence_ms: int = Field(default=500, ge=50, description="silence that ends an utterance")
    no_speech_threshold: float = Field(default=0.6, ge=0, le=1)


class AgentSettings(BaseModel):
    """Thresholds and limits used by the graph; money limits are enforced in code."""

    auto_credit_limit_krw: int = Field(default=30000, ge=0, description="credits above need approval")
    chat_credit_limit_krw: int = Field(default=5000, ge=0, description="assistant chat hard cap")
    daily_credit_cap_krw: int = Field(default=200000, ge=0, description="per customer per day")
    intent_llm_threshold: float = Field(default=0.55, ge=0, le=1, description="LLM tier below this")
    churn_flag_threshold: float = Field(default=0.6, ge=0, le=1)
    checkpointer_url: str | None = Field(
        default=None, description="checkpointer DB URL; unset = the main database"
    )


class ApiSettings(BaseModel):
    """HTTP server."""

    host: str = "127.0.0.1"
    port: int = 8080
    api_keys: dict[str, list[str]] = Field(
        default_factory=lambda: {"dev-key": ["calls:write", "calls:read", "approvals", "chat"]},
        description="key -> scopes (JSON in the env var)",
    )
    rate_limit_per_minute: int = Field(default=600, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)


class SimulatorSettings(BaseModel):
    """Synthetic world and load."""

    seed: int = 7
    customers: int = Field(default=60, ge=1)
    calls: int = Field(default=20, ge=1)
    audio_calls: int = Field(default=3, ge=0)
    espeak_voice: str = "ko"


class PathSettings(BaseModel):
    """Where runtime files go."""

    data: Path = Field(default=Path("var"), description="runtime data dir (SQLite, models, reports)")


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
