"""Size bounds of the domain's values: ids, money, labels, texts, lists, sequence numbers.

The wire contracts reuse these (services.schemas.limits re-exports them beside the byte
sizes of the transport), so a record is bounded the same in the core and on every topic.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_AMOUNT_KRW",
    "MAX_CHURN_WEIGHT",
    "MAX_EVIDENCE_CHARS",
    "MAX_ID_CHARS",
    "MAX_KEY_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_NOTE_CHARS",
    "MAX_SEALED_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_UTTERANCES_PER_CALL",
    "MAX_UTTERANCE_SEQ",
]

#: Utterances of one call (one a second for a day fits); an utterance seq is below it.
MAX_UTTERANCES_PER_CALL: Final = 100_000
MAX_UTTERANCE_SEQ: Final = MAX_UTTERANCES_PER_CALL - 1
#: Any amount of money, in won (1,000,000,000 = 10억 원).
MAX_AMOUNT_KRW: Final = 1_000_000_000
#: Absolute value of a churn signal's weight (log-odds; the policy's are within 3).
MAX_CHURN_WEIGHT: Final = 100.0
#: Items of any list field (actions, assist lines, signals, invoice line ids, intents...).
MAX_LIST_ITEMS: Final = 50

#: call_id, message_id, customer_id, approval_id, invoice ids (the database columns are 64).
MAX_ID_CHARS: Final = 64
#: Idempotency keys (database column 200).
MAX_KEY_CHARS: Final = 200
#: Short machine labels: an end reason, a policy rule, a signal name.
MAX_LABEL_CHARS: Final = 64
#: Free text: an utterance, an explanation, each field of a summary.
MAX_TEXT_CHARS: Final = 4000
#: One line of a list (an action, an assist suggestion, a fallback reason).
MAX_NOTE_CHARS: Final = 1000
#: The words a churn signal rests on.
MAX_EVIDENCE_CHARS: Final = 400
#: Longest sealed identifier: "v1." and base64url of nonce, value (<= 64 bytes) and tag.
MAX_SEALED_CHARS: Final = 160
