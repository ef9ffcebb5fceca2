"""Korean prompts, each a constant with its JSON schema and PROMPT_VERSION."""

from agents.prompts import chat, claim, explanation, intent, summary

__all__ = ["chat", "claim", "explanation", "intent", "summary"]
