"""Kafka stream stages (asr, agent, sink) on one generic runner."""
