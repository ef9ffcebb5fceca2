"""Evaluation runs: the real graph and adapters driven with simulator data, scored by agents.

One module per kind of run (import the module you need; nothing is loaded here):
`graph_runs` (test calls through the graph), `harness` (`kcall eval`), `heard` (noisy and
Whisper text), `asr_clips` (clips through the speech engine), `heldout` (template sets),
`summary_engines` (`eval llm`), `phishing_sets` (`eval phishing`), `summary_items`
(`eval summary-items`).
"""

__all__: list[str] = []
