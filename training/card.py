"""The model card as training writes and reads it: the contract's keys plus what training measured.

Why a subclass here and not fields of the contract: serving needs none of these keys (it shows the
extras as they are, `GET /api/model`), but the exporter writes them and retrain and the benchmark
read them back, so they are typed once, in the order ``metadata.json`` lists them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tweet_sentiment.artifacts import ModelCard


class TrainedCard(ModelCard):
    """``metadata.json`` of an exported model (docs/model-artifacts.md, "extra keys")."""

    validation_metrics: dict[str, Any] = Field(default_factory=dict)
    hyper_parameters: dict[str, Any] = Field(default_factory=dict)
    profile: str = ""
    parity: dict[str, Any] = Field(default_factory=dict)
    onnx_ms_per_tweet: float = 0.0
    onnx_size_bytes: int = 0
    out_of_domain: dict[str, Any] = Field(default_factory=dict)
    champion_rule: str = ""

    @classmethod
    def of(cls, card: ModelCard) -> TrainedCard:
        """The training view of a card serving read (``read_card``, ``Scorer.card``)."""
        return card if isinstance(card, cls) else cls.model_validate(card.model_dump())
