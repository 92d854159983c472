"""The leaf every part of the pipeline imports, and that imports nothing of the project: the wire
schemas with their version and topic names (:mod:`contract.wire`), the dead-letter envelope and
budget (:mod:`contract.dead_letters`), topic creation (:mod:`contract.topics`) and the settings
every deployable extends (:mod:`contract.settings`).

The wire schemas are exported here; ``tests/contract/test_exported_members.py`` keeps this list
from drifting.
"""

from contract.wire import (
    ALL_TOPICS,
    DLQ_TOPIC,
    RAW_TOPIC,
    RIGHTS_COMMANDS_TOPIC,
    RIGHTS_EVENTS_TOPIC,
    SCHEMA_VERSION,
    SCORED_TOPIC,
    Author,
    DeadLetter,
    DetectedLanguage,
    Engagement,
    Media,
    ModelInfo,
    Platform,
    PoisonMessage,
    RawPost,
    RightsCommand,
    RightsCommandKind,
    RightsEvent,
    RightsEventKind,
    RiskLevel,
    SafetyScores,
    ScoredPost,
    Sentiment,
    SentimentScores,
    decode,
    encode,
    normalize_hashtag,
    summarize_validation_error,
    utcnow,
)

__all__ = [
    "ALL_TOPICS",
    "DLQ_TOPIC",
    "RAW_TOPIC",
    "RIGHTS_COMMANDS_TOPIC",
    "RIGHTS_EVENTS_TOPIC",
    "SCHEMA_VERSION",
    "SCORED_TOPIC",
    "Author",
    "DeadLetter",
    "DetectedLanguage",
    "Engagement",
    "Media",
    "ModelInfo",
    "Platform",
    "PoisonMessage",
    "RawPost",
    "RightsCommand",
    "RightsCommandKind",
    "RightsEvent",
    "RightsEventKind",
    "RiskLevel",
    "SafetyScores",
    "ScoredPost",
    "Sentiment",
    "SentimentScores",
    "decode",
    "encode",
    "normalize_hashtag",
    "summarize_validation_error",
    "utcnow",
]
