"""Every bound of the wire contracts, in one place: the schemas, the API and the clients use these.

Sizes agree end to end (README, "Limits"):

    API audio body  <=  MAX_AUDIO_PCM_BYTES               (413 above, naming the limit)
    audio frame     <=  MAX_MESSAGE_BYTES = PCM + header  (decode refuses anything larger)
    producer        :   PRODUCER_MAX_REQUEST_BYTES         (kafka-python's default is 1 MiB)
    topic           :   TOPIC_MAX_MESSAGE_BYTES            (max.message.bytes where topics are made)
    consumer        :   CONSUMER_MAX_PARTITION_FETCH_BYTES (a whole batch fits one fetch)

Counts and times are sized for the longest call the system takes (a day) so that no value
on the wire can make a stage allocate without bound (e.g. `CallEnded.utterances`). The
bounds of domain values (ids, money, labels, texts, lists) live with the records in
agents.domain.bounds and are re-exported here, so this module still names every bound.
"""

from __future__ import annotations

from typing import Final

from agents.domain.bounds import (
    MAX_AMOUNT_KRW,
    MAX_CHURN_WEIGHT,
    MAX_EVIDENCE_CHARS,
    MAX_ID_CHARS,
    MAX_KEY_CHARS,
    MAX_LABEL_CHARS,
    MAX_LIST_ITEMS,
    MAX_NOTE_CHARS,
    MAX_SEALED_CHARS,
    MAX_TEXT_CHARS,
    MAX_UTTERANCE_SEQ,
    MAX_UTTERANCES_PER_CALL,
)

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
#: Audio chunks of one channel of one call (10 ms chunks for a day fit).
MAX_AUDIO_SEQ: Final = 10_000_000
MIN_SAMPLE_RATE: Final = 8000
MAX_SAMPLE_RATE: Final = 48000

# --- strings (characters) --------------------------------------------------------------

#: People's names and display names (a supervisor).
MAX_NAME_CHARS: Final = 120

#: Identifiers one utterance may carry sealed (a turn that reads out more is cut here).
MAX_IDENTIFIERS_PER_UTTERANCE: Final = 16
