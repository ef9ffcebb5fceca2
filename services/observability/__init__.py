"""Observability of the stream stages: Prometheus metrics per stage and call tracing."""
