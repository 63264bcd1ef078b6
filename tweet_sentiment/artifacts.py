"""The model artifact contract between training (writer) and serving (reader).

`docs/model-artifacts.md` explains it for people; this module is its executable form. Training
builds a :class:`ModelCard` and calls :func:`write_card`; serving calls :func:`read_card`, so a
file that does not match the contract fails at load time with a clear message, not at scoring.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tweet_sentiment.text import NORMALISER_VERSION

MODEL_FILE = "model.onnx"
VOCAB_FILE = "vocab.txt"
CARD_FILE = "metadata.json"
SCHEMA_VERSION = 1


class DataSource(BaseModel):
    """One corpus the model was trained on, identified by content, not by name alone."""

    name: str
    sha256: str = Field(description="sha256 of the raw source file(s)")
    rows: int = Field(description="rows kept after cleaning and de-duplication")


class ModelCard(BaseModel):
    """metadata.json: all serving needs to run the model, and what a user needs to trust it."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    schema_version: int = SCHEMA_VERSION
    model_version: str = Field(description="unique per trained model, e.g. 2026.11.22-lstm-glove")
    labels: list[str] = Field(min_length=2, description="class names, in output column order")
    max_len: int = Field(gt=0, description="tokens per tweet; pre-padded with id 0")
    padding: Literal["pre"] = "pre"
    truncation: Literal["post"] = "post"
    normaliser_version: str = NORMALISER_VERSION
    input_name: str = "token_ids"
    output_name: str = "probabilities"
    architecture: str = ""
    metrics: dict[str, Any] = Field(default_factory=dict, description="held-out test metrics")
    data_sources: list[DataSource] = Field(default_factory=list)
    split_fingerprint: str = ""
    trained_at: str = ""
    git_commit: str = ""

    @model_validator(mode="after")
    def _labels_unique(self) -> ModelCard:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be unique: {self.labels}")
        return self


def read_card(directory: Path) -> ModelCard:
    """Load and validate metadata.json; refuse a model normalised by another normaliser."""
    card = ModelCard.model_validate_json((directory / CARD_FILE).read_text(encoding="utf-8"))
    if card.schema_version != SCHEMA_VERSION:
        raise ValueError(f"{CARD_FILE}: schema_version {card.schema_version} != {SCHEMA_VERSION}")
    if card.normaliser_version != NORMALISER_VERSION:
        raise ValueError(
            f"{CARD_FILE}: model trained with normaliser {card.normaliser_version}, "
            f"this code has {NORMALISER_VERSION}: retrain or check out the matching code"
        )
    return card


def write_card(card: ModelCard, directory: Path) -> Path:
    path = directory / CARD_FILE
    path.write_text(json.dumps(card.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return path
