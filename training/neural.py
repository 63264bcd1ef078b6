"""Step 4: Keras LSTM / BiLSTM / GRU models on GloVe, Word2Vec, FastText or random embeddings.

    python -m training.neural [--work-dir build] [--quick] [--only bilstm-glove]

Why these choices (all judged on validation macro-F1, never on test):
- pre-padded ids and NO masking: the exported ONNX graph stays one fused LSTM node (fast);
- max-pooling over time + the last step: the strongest word anywhere, and the whole-tweet summary;
- class-balanced, annotator-confidence-weighted loss, low-agreement train rows dropped: the
  minority positive class matters as much as the others for macro-F1, and noisy labels less;
- early stopping on validation macro-F1, best weights restored.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from training import config

config.configure_threads()

import keras  # noqa: E402  (after the thread caps)
from sklearn.metrics import f1_score  # noqa: E402

from training import cli, ood, runs, teacher, tracking  # noqa: E402
from training import data as data_step  # noqa: E402
from training.data import tokens_of, training_rows  # noqa: E402
from training.embeddings import embedding_matrix  # noqa: E402
from training.runs import MODEL_FILE, VOCAB_FILE  # noqa: E402
from tweet_sentiment.vocab import Vocabulary  # noqa: E402


def sample_weights(train: pd.DataFrame, labels: list[str]) -> np.ndarray:
    """Balanced class weight x annotator confidence (unknown confidence counts as 1)."""
    counts = train["label"].value_counts()
    class_weight = {label: len(train) / (len(labels) * counts[label]) for label in counts.index}
    confidence = train["confidence"].fillna(1.0).to_numpy()
    return (train["label"].map(class_weight).to_numpy() * confidence).astype(np.float32)


def lever_rows(
    cfg: config.NeuralConfig, train: pd.DataFrame, labels: list[str], work_dir: Path
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Train rows, targets and weights with the config's levers (extra data, distillation).

    Extra sources are OOD *pool* rows with their own labels (class-balanced among themselves);
    distillation blends the teacher's probabilities into the corpus targets and adds the rest of
    its pool with the teacher's probabilities as targets; ``polarity`` blends a 2-class set's
    labels into its pool rows' targets the same way. Dev and report rows are never here.
    """
    index = {label: i for i, label in enumerate(labels)}
    weights = sample_weights(train, labels)
    parts = [train.assign(origin="corpus")]
    if cfg.extra:
        extra = ood.load(work_dir)
        extra = extra[(extra["part"] == "pool") & extra["set"].isin(cfg.extra)]
        extra = extra[~extra["normalised"].isin(set(train["normalised"]))]
        parts.append(extra.assign(origin=extra["set"], confidence=1.0))
        weights = np.concatenate([weights, sample_weights(extra.assign(confidence=1.0), labels)])
    rows = pd.concat(parts, ignore_index=True)
    if not cfg.distil:
        return rows, rows["label"].map(index).to_numpy(), weights
    gold = np.eye(len(labels), dtype=np.float32)[rows["label"].map(index).to_numpy()]
    soft = teacher.load_soft_labels(work_dir, cfg.teacher).set_index("normalised")
    columns = [f"p_{label}" for label in labels]
    taught = rows["normalised"].isin(soft.index).to_numpy()
    targets = gold.copy()
    teacher_probs = soft.loc[rows.loc[taught, "normalised"], columns].to_numpy()
    targets[taught] = cfg.distil * teacher_probs + (1 - cfg.distil) * gold[taught]
    unlabelled = soft[~soft.index.isin(set(rows["normalised"]))]
    rows = pd.concat([rows, unlabelled.reset_index()[["normalised", "origin"]]], ignore_index=True)
    targets = np.concatenate([targets, unlabelled[columns].to_numpy(np.float32)])
    weights = np.concatenate([weights, np.ones(len(unlabelled), np.float32)])
    if cfg.polarity:
        polar = polarity_labels(work_dir, cfg.polarity)
        found = rows["normalised"].map(polar).fillna("").to_numpy()
        labelled = found != ""
        gold = polar_targets(targets[labelled], found[labelled], labels)
        targets[labelled] = cfg.distil * targets[labelled] + (1 - cfg.distil) * gold
    return rows, targets, weights


def polarity_labels(work_dir: Path, sets: tuple[str, ...]) -> pd.Series:
    """normalised text -> negative|positive for the 2-class sets' pool rows (never dev/report)."""
    extra = ood.load(work_dir)
    extra = extra[(extra["part"] == "pool") & extra["set"].isin(sets)]
    extra = extra[extra["label"].isin(["negative", "positive"])]
    return extra.drop_duplicates("normalised").set_index("normalised")["label"]


def polar_targets(teacher_probs: np.ndarray, polar: np.ndarray, labels: list[str]) -> np.ndarray:
    """The teacher's neutral share kept, the rest moved to the row's polarity label.

    Why: an emoticon says which way a tweet leans, not whether its words carry it (Sentiment140's
    labels): so the label decides negative vs positive, and the teacher how neutral the text is.
    """
    neutral = teacher_probs[:, labels.index("neutral")]
    gold = np.zeros_like(teacher_probs)
    gold[:, labels.index("neutral")] = neutral
    for side in ("negative", "positive"):
        gold[polar == side, labels.index(side)] = 1 - neutral[polar == side]
    return gold


def build_vocab(data: pd.DataFrame, profile: config.Profile, work_dir: Path) -> Vocabulary:
    vocab = Vocabulary.build(tokens_of(data[data["split"] == "train"]), max_size=profile.vocab_size)
    vocab.save(work_dir / VOCAB_FILE)
    return vocab


def build_model(
    cfg: config.NeuralConfig, vocab_size: int, n_labels: int, matrix: np.ndarray | None
) -> keras.Model:
    cells = {
        "lstm": keras.layers.LSTM,
        "bilstm": keras.layers.LSTM,
        "gru": keras.layers.GRU,
        "bigru": keras.layers.GRU,
    }
    inputs = keras.Input((config.MAX_LEN,), dtype="int32", name="token_ids")
    dim = cfg.embedding_dim if matrix is None else matrix.shape[1]
    embedding = keras.layers.Embedding(
        vocab_size, dim, name="embedding", trainable=cfg.trainable_embedding
    )
    x = keras.layers.SpatialDropout1D(cfg.spatial_dropout)(embedding(inputs))
    rnn = cells[cfg.cell](cfg.units, return_sequences=True)
    if cfg.cell.startswith("bi"):
        rnn = keras.layers.Bidirectional(rnn)
    sequence = rnn(x)
    last = keras.layers.Flatten()(keras.layers.Cropping1D((config.MAX_LEN - 1, 0))(sequence))
    x = keras.layers.Concatenate()([keras.layers.GlobalMaxPooling1D()(sequence), last])
    x = keras.layers.Dropout(cfg.dropout)(x)
    if cfg.dense:
        x = keras.layers.Dropout(cfg.dropout)(keras.layers.Dense(cfg.dense, activation="relu")(x))
    outputs = keras.layers.Dense(n_labels, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name=cfg.name.replace("-", "_"))
    if matrix is not None:
        embedding.set_weights([matrix])
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        # Distillation trains on probability targets; otherwise integer labels.
        loss="categorical_crossentropy" if cfg.distil else "sparse_categorical_crossentropy",
        weighted_metrics=[] if cfg.distil else ["accuracy"],
    )
    return model


class MacroF1EarlyStopping(keras.callbacks.Callback):
    """Stop when validation macro-F1 stops improving; restore the best epoch's weights.

    With ``decay`` > 0, an epoch that does not improve also sends the model back to the best
    weights with a smaller learning rate: a finer step from the best point instead of drifting
    into overfitting (the curve in reports/figures/neural_validation_f1.png peaks early).
    """

    def __init__(
        self,
        x_val: np.ndarray,
        y_val: np.ndarray,
        patience: int,
        batch_size: int,
        decay: float = 0.0,
    ):
        super().__init__()
        self.x_val, self.y_val, self.patience, self.batch_size = x_val, y_val, patience, batch_size
        self.decay = decay
        self.best, self.best_epoch, self.best_weights = -1.0, -1, None
        self.history: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        probs = self.model.predict(self.x_val, batch_size=512, verbose=0)
        score = f1_score(self.y_val, probs.argmax(axis=1), average="macro")
        self.history.append(float(score))
        if logs is not None:
            logs["val_macro_f1"] = score
        if score > self.best:
            self.best, self.best_epoch, self.best_weights = score, epoch, self.model.get_weights()
        elif epoch - self.best_epoch >= self.patience:
            self.model.stop_training = True
        elif self.decay:
            self.model.set_weights(self.best_weights)
            rate = self.model.optimizer.learning_rate
            rate.assign(float(rate.numpy()) * self.decay)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def train_one(
    cfg: config.NeuralConfig,
    data: pd.DataFrame,
    meta: dict,
    vocab: Vocabulary,
    profile: config.Profile,
    work_dir: Path,
) -> runs.RunResult:
    labels = meta["labels"]
    keras.utils.set_random_seed(config.SEED)
    train, y_train, weights = lever_rows(cfg, training_rows(data), labels, work_dir)
    if cfg.pool_vocab or cfg.max_vocab:
        vocab = Vocabulary.build(
            tokens_of(train if cfg.pool_vocab else training_rows(data)),
            max_size=cfg.max_vocab or profile.vocab_size,
        )
    if profile.max_steps_per_epoch:  # quick: a few real optimisation steps
        rows = min(profile.max_steps_per_epoch * cfg.batch_size, len(train))
        keep = np.random.default_rng(config.SEED).choice(len(train), rows, replace=False)
        train, y_train, weights = train.iloc[keep], y_train[keep], weights[keep]
    x_train = vocab.encode(tokens_of(train), config.MAX_LEN).ids
    val, y_val = runs.split_arrays(data, labels, "validation")
    test, _ = runs.split_arrays(data, labels, "test")
    x_val = vocab.encode(tokens_of(val), config.MAX_LEN).ids
    x_test = vocab.encode(tokens_of(test), config.MAX_LEN).ids

    started = time.perf_counter()
    matrix, coverage = embedding_matrix(
        cfg.embedding,
        vocab,
        tokens_of(training_rows(data)),
        cfg.embedding_dim,
        profile.word2vec_epochs,
        config.SEED,
        config.THREADS,
    )
    model = build_model(cfg, len(vocab), len(labels), matrix)
    stopper = MacroF1EarlyStopping(x_val, y_val, cfg.patience, cfg.batch_size, cfg.plateau_decay)
    model.fit(
        x_train,
        y_train,
        sample_weight=weights,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        callbacks=[stopper],
        verbose=2,
    )
    train_seconds = time.perf_counter() - started

    val_probs = model.predict(x_val, batch_size=512, verbose=0)
    started = time.perf_counter()
    test_probs = model.predict(x_test, batch_size=512, verbose=0)
    predict_ms = 1000 * (time.perf_counter() - started) / len(x_test)

    directory = runs.RunResult(cfg.name, "neural", {}, 0, 0, 0).directory(work_dir)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / MODEL_FILE)
    vocab.save(directory / VOCAB_FILE)  # what export ships with this model
    params = {
        **cfg.__dict__,
        "max_len": config.MAX_LEN,
        "vocab_size": len(vocab),
        "embedding_coverage": round(coverage, 4),
        "best_epoch": stopper.best_epoch + 1,
        "val_macro_f1_history": [round(s, 4) for s in stopper.history],
        "train_rows": len(train),
        "train_rows_by_origin": train["origin"].value_counts().to_dict(),
        "min_train_confidence": config.MIN_TRAIN_CONFIDENCE,
        "parameters": model.count_params(),
    }
    result = runs.RunResult(
        cfg.name,
        "neural",
        params,
        train_seconds,
        predict_ms,
        (directory / MODEL_FILE).stat().st_size,
    )
    runs.score(result, data, labels, val_probs, test_probs)
    ood_probs = runs.score_ood(
        result,
        work_dir,
        lambda rows: model.predict(
            vocab.encode(tokens_of(rows), config.MAX_LEN).ids, batch_size=512, verbose=0
        ),
    )
    runs.save(result, work_dir, val_probs, test_probs, ood_probs)
    tracking.log_run(result, meta, directory, data)
    return result


def main(argv: list[str] | None = None) -> list[runs.RunResult]:
    parser = cli.step_parser(
        __doc__, quick="the quick profile's small networks, a few optimisation steps per epoch"
    )
    parser.add_argument("--only", action="append", help="model name(s) to train, e.g. bilstm-glove")
    parser.add_argument(
        "--sweep", action="store_true", help="also the architecture and embedding study"
    )
    args = parser.parse_args(argv)
    profile = config.QUICK if args.quick else config.FULL
    data, meta = data_step.load(args.work_dir)
    vocab = build_vocab(data, profile, args.work_dir)
    results = []
    distilled = []
    for cfg in profile.distilled:
        if teacher.soft_labels_path(args.work_dir, cfg.teacher).is_file():
            distilled.append(cfg)
        else:
            print(f"neural: {cfg.name} skipped, no soft labels (teacher --teacher {cfg.teacher})")
    for cfg in (*profile.neural, *distilled, *profile.sweep):
        if cfg in profile.sweep and not (args.sweep or (args.only and cfg.name in args.only)):
            continue
        if args.only and cfg.name not in args.only:
            continue
        result = train_one(cfg, data, meta, vocab, profile, args.work_dir)
        print(
            f"{cfg.name}: val macro-F1 {result.val['macro_f1']:.4f} "
            f"({result.train_seconds:.0f}s, best epoch {result.params['best_epoch']})"
        )
        results.append(result)
    return results


if __name__ == "__main__":
    main()
