"""Korean phrase templates for scripted calls (data only; the generator lives in simulator.scripts).

Templates use `simulator.korean.KoreanFormatter` slots: {month} {charge} {amount} {plan}
{new_plan} {competitor} {country} {device} {merchant} {vas} {name} {agent} {birth} {phone};
`{charge:을/를}` appends the particle that agrees with the filled-in noun.
"""

from simulator.phrases.billing import DISPUTE_OPENINGS, DISPUTE_RESOLUTIONS
from simulator.phrases.churn import CHURN_PIVOTS, RETENTION_OFFERS, RETENTION_REPLIES
from simulator.phrases.common import (
    AGENT_NAMES,
    BYES,
    CASUAL_THANKS,
    CLOSINGS,
    COMPETITORS,
    EMOTIONS,
    FILLERS,
    GO_AHEAD,
    GREETINGS,
    PII_BIRTH,
    PII_PHONE,
    THANKS,
    VAGUE_OPENINGS,
    VERIFIED,
    VERIFY_BIRTH,
    VERIFY_PHONE,
    VERIFY_SKIP,
)
from simulator.phrases.replies import AGENT_ANSWERS, AGENT_ASKS, DETAILS
from simulator.phrases.scenarios import OPENINGS

__all__ = [
    "AGENT_ANSWERS",
    "AGENT_ASKS",
    "AGENT_NAMES",
    "BYES",
    "CASUAL_THANKS",
    "CHURN_PIVOTS",
    "CLOSINGS",
    "COMPETITORS",
    "DETAILS",
    "DISPUTE_OPENINGS",
    "DISPUTE_RESOLUTIONS",
    "EMOTIONS",
    "FILLERS",
    "GO_AHEAD",
    "GREETINGS",
    "OPENINGS",
    "PII_BIRTH",
    "PII_PHONE",
    "RETENTION_OFFERS",
    "RETENTION_REPLIES",
    "THANKS",
    "VAGUE_OPENINGS",
    "VERIFIED",
    "VERIFY_BIRTH",
    "VERIFY_PHONE",
    "VERIFY_SKIP",
]
