"""Every bound of the wire contracts, in one place: the schemas, the API and the clients use these.

Sizes agree end to end (README, "Limits"):

    API audio body  <=  MAX_AUDIO_PCM_BYTES               (413 above, naming the limit)
    audio frame     <=  MAX_MESSAGE_BYTES = PCM + header  (decode refuses anything larger)
    producer        :   PRODUCER_MAX_REQUEST_BYTES         (kafka-python's default is 1 MiB)
    topic           :   TOPIC_MAX_MESSAGE_BYTES            (max.message.bytes where topics are made)
    consumer        :   CONSUMER_MAX_PARTITION_FETCH_BYTES (a whole batch fits one fetch)

Counts and times are sized for the longest call the system takes (a day) so that no value
on the wire can make a stage allocate without bound (e.g. `CallEnded.utterances`).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CONSUMER_MAX_PARTITION_FETCH_BYTES",
    "MAX_AMOUNT_KRW",
    "MAX_AUDIO_HEADER_BYTES",
    "MAX_AUDIO_PCM_BYTES",
    "MAX_AUDIO_SEQ",
    "MAX_CALL_MS",
    "MAX_CHURN_WEIGHT",
    "MAX_EVIDENCE_CHARS",
    "MAX_ID_CHARS",
    "MAX_IDENTIFIERS_PER_UTTERANCE",
    "MAX_KEY_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_MESSAGE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_NOTE_CHARS",
    "MAX_SAMPLE_RATE",
    "MAX_SEALED_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_UTTERANCES_PER_CALL",
    "MAX_UTTERANCE_SEQ",
    "MIN_SAMPLE_RATE",
    "PRODUCER_MAX_REQUEST_BYTES",
    "TOPIC_MAX_MESSAGE_BYTES",
]

# --- sizes (bytes) ---------------------------------------------------------------------

#: Largest PCM16 payload of one audio chunk (62.5 s of 16 kHz mono); the API's default
#: body limit is the same number.
MAX_AUDIO_PCM_BYTES: Final = 2_000_000
#: Largest JSON header of an audio frame (a real one is about 250 bytes).
MAX_AUDIO_HEADER_BYTES: Final = 4096
#: Largest value of any message on any topic: an audio frame at its limits.
MAX_MESSAGE_BYTES: Final = 8 + MAX_AUDIO_HEADER_BYTES + MAX_AUDIO_PCM_BYTES
#: Producer `max_request_size`: the largest message plus record overhead and headers
#: (dead-letter headers are about 3 KB), with headroom.
PRODUCER_MAX_REQUEST_BYTES: Final = 3 * 1024 * 1024
#: Topic `max.message.bytes` (one record batch): a full producer request fits.
TOPIC_MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
#: Consumer `max_partition_fetch_bytes`: the largest batch comes back in one fetch.
CONSUMER_MAX_PARTITION_FETCH_BYTES: Final = TOPIC_MAX_MESSAGE_BYTES

# --- counts and times ------------------------------------------------------------------

#: Longest call, in milliseconds (24 h); bounds every *_ms field.
MAX_CALL_MS: Final = 24 * 60 * 60 * 1000
#: Utterances of one call (one a second for a day fits); `CallEnded.utterances` and
#: `CallSummary.utterances` are at most this, an utterance seq is below it.
MAX_UTTERANCES_PER_CALL: Final = 100_000
MAX_UTTERANCE_SEQ: Final = MAX_UTTERANCES_PER_CALL - 1
#: Audio chunks of one channel of one call (10 ms chunks for a day fit).
MAX_AUDIO_SEQ: Final = 10_000_000
MIN_SAMPLE_RATE: Final = 8000
MAX_SAMPLE_RATE: Final = 48000
#: Any amount of money on the wire, in won (1,000,000,000 = 10억 원).
MAX_AMOUNT_KRW: Final = 1_000_000_000
#: Absolute value of a churn signal's weight (log-odds; the policy's are within 3).
MAX_CHURN_WEIGHT: Final = 100.0
#: Items of any list field (actions, assist lines, signals, invoice line ids, intents...).
MAX_LIST_ITEMS: Final = 50

# --- strings (characters) --------------------------------------------------------------

#: call_id, message_id, customer_id, approval_id, invoice ids (the database columns are 64).
MAX_ID_CHARS: Final = 64
#: Idempotency keys (database column 200).
MAX_KEY_CHARS: Final = 200
#: People's names and display names (a supervisor).
MAX_NAME_CHARS: Final = 120
#: Short machine labels: an end reason, a policy rule, a signal name.
MAX_LABEL_CHARS: Final = 64
#: Free text: an utterance, an explanation, each field of a summary.
MAX_TEXT_CHARS: Final = 4000
#: One line of a list (an action, an assist suggestion, a fallback reason).
MAX_NOTE_CHARS: Final = 1000
#: The words a churn signal rests on.
MAX_EVIDENCE_CHARS: Final = 400

#: Identifiers one utterance may carry sealed (a turn that reads out more is cut here).
MAX_IDENTIFIERS_PER_UTTERANCE: Final = 16
#: Longest sealed identifier: "v1." and base64url of nonce, value (<= 64 bytes) and tag.
MAX_SEALED_CHARS: Final = 160
