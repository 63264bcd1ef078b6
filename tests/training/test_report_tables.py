"""reports/results.md's run accounting: which networks `make train` trains and times, and the
lever rows of networks derived from another (class bias, emoji rows, the VADER lexicon)."""

from __future__ import annotations

from training import config, report, runs


def _run(name: str, seconds: float, **params: object) -> runs.RunResult:
    ood = {"vader": {"dev": {"macro_recall": 0.6}, "report": {"macro_recall": 0.6}}}
    return runs.RunResult(
        name,
        "neural",
        {"cell": "bilstm", **params},
        seconds,
        0.1,
        10,
        val={"macro_f1": 0.75},
        ood=ood,
    )


def test_only_the_profiles_own_networks_are_timed_and_the_others_are_named() -> None:
    kd = config.FULL.distilled[0].name
    results = [
        _run("bilstm-glove", 700),
        _run(kd, 900, distil=0.5),
        _run(kd + "-cal", 950, distil=0.5, calibrated_from=kd),  # its base's training
        _run(kd + "-cal-emoji", 950, distil=0.5, emoji_from=kd + "-cal", emoji_rows=3),
        _run("bilstm-glove-kd0.8-minilmft", 800, distil=0.8),  # a sweep lever
    ]
    lines = report.network_time(results, "full")
    assert lines[0] == "The 2 networks of the profile trained in 1,600 s together."
    assert "bilstm-glove-kd0.8-minilmft" in lines[1]
    missing = report.not_trained(results, "full")[0]
    assert missing.split(": ")[1].startswith("bilstm-glove-cal;")  # the only one missing


def test_emoji_rows_are_a_lever_row_against_the_network_they_were_added_to() -> None:
    results = [
        _run("bilstm-glove", 700),
        _run("bilstm-glove-cal", 700, class_bias={"negative": 0.3}, calibrated_from="bilstm-glove"),
        _run(
            "bilstm-glove-cal-emoji",
            700,
            class_bias={"negative": 0.3},
            calibrated_from="bilstm-glove",
            emoji_from="bilstm-glove-cal",
            emoji_rows=3,
        ),
    ]
    table = "\n".join(report.lever_table(results, "bilstm-glove-cal-emoji"))
    assert "| bilstm-glove-cal-emoji | bilstm-glove-cal | +0.0000 |" in table
    assert "| bilstm-glove-cal | bilstm-glove | +0.0000 |" in table


def test_the_lexicon_is_a_lever_row_against_the_calibrated_network() -> None:
    """A -vader run keeps its base's calibrated_from: the row must still name its own base."""
    lexicon = _run(
        "bilstm-glove-cal-vader",
        700,
        class_bias={"negative": 0.3},
        calibrated_from="bilstm-glove",
        lexicon="vader",
        lexicon_from="bilstm-glove-cal",
    )
    lexicon.family = "neural+lexicon"
    lexicon.val = {"macro_f1": 0.74}
    results = [
        _run("bilstm-glove", 700),
        _run("bilstm-glove-cal", 700, class_bias={"negative": 0.3}, calibrated_from="bilstm-glove"),
        lexicon,
    ]
    table = "\n".join(report.lever_table(results, "bilstm-glove-cal"))
    assert "| bilstm-glove-cal-vader | bilstm-glove-cal | -0.0100 |" in table
    times = report.network_time(results, "full")  # the lexicon trains no network
    assert "bilstm-glove-cal-vader" not in "\n".join(times)
