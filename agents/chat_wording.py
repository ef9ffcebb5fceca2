"""A model's chat wording, released to the customer word by word as it streams in.

The model words, the code decides, also while it streams: text is held until a word is
complete, and the whole text released so far plus that word must pass the same checks a
finished rewording passes (agents.model_checks): no PII or copied placeholder, no number
the FAQ passages and the question do not hold, no credit or approval announced. A word
that fails is never released; the caller then replaces what was shown with the rules'
answer. The finished text must also be polite and complete.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.model_checks import decision_contradiction, numbers_outside, pii_in, polite_problem

__all__ = ["StreamedWording", "WordingRejected"]


class WordingRejected(Exception):
    """The streamed wording failed a check; `reason` is short and loggable (no text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StreamedWording:
    """Feed it the model's deltas; it returns the part that is safe to show now.

    Args:
        passages: The FAQ passages the model was given (its only allowed facts).
        question: The customer's (redacted) question; numbers in it may be repeated.
        max_chars: A reply longer than this is rejected (the model ran on).
    """

    def __init__(self, *, passages: Sequence[str], question: str, max_chars: int = 400) -> None:
        self._facts = "\n".join(passages)
        self._question = question
        self._max_chars = max_chars
        self._released = ""
        self._pending = ""

    @property
    def released(self) -> str:
        """Everything shown to the customer so far."""
        return self._released

    def feed(self, delta: str) -> str:
        """Take one delta; return the complete, checked words it finishes ("" for none).

        Raises:
            WordingRejected: the text would fail a check or run past `max_chars`.
        """
        self._pending += delta
        if len(self._released) + len(self._pending) > self._max_chars:
            raise WordingRejected("too_long")
        cut = max(self._pending.rfind(" "), self._pending.rfind("\n"))
        if cut < 0:
            return ""
        words = self._pending[: cut + 1]
        self._check(self._released + words)
        self._released += words
        self._pending = self._pending[cut + 1 :]
        return words

    def finish(self) -> str:
        """The stream ended: check the whole reply and return its last word.

        Raises:
            WordingRejected: the last word fails a check, or the reply is cut off or impolite.
        """
        whole = (self._released + self._pending).strip()
        self._check(whole)
        problem = polite_problem(whole)
        if problem is not None:
            raise WordingRejected(problem)
        tail, self._pending = self._pending, ""
        self._released += tail
        return tail

    def _check(self, text: str) -> None:
        if pii_in([text]):
            raise WordingRejected("pii_in_model_output")
        reason = numbers_outside(text, facts=self._facts, transcript=self._question)
        reason = reason or decision_contradiction(text, None)
        if reason is not None:
            raise WordingRejected(reason)
