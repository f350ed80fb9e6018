"""The learned second stage: features, training, loading, and its place in a rulebook."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.cli.train import dump
from trainer.diagnostics import ContentError
from trainer.grading import CallContext, load_rulebook
from trainer.grading.learned import (
    Classifier,
    ModelError,
    canonical,
    canonical_positions,
    load_classifier,
)
from trainer.training.learning import (
    Featurizer,
    Ftrl,
    Settings,
    TrainItem,
    build_featurizer,
    candidates,
    train,
)

ROOT = Path(__file__).resolve().parents[2]
#: the evaluation sets kept out of training (see tests/grading/test_eval.py)
HELD_OUT = ("final2_", "final4_")


@given(st.text(max_size=60))
def test_canonical_positions_line_up_with_the_text(norm: str) -> None:
    canon = canonical(norm)
    positions = canonical_positions(norm)
    assert len(positions) == len(canon)
    for k, ch in enumerate(canon):
        if ch != " ":
            assert norm[positions[k]] == ch


def test_candidates_by_scheme() -> None:
    chars = candidates(canonical("你欠钱 ok"), "chars")
    assert {"你", "你欠", "你欠钱", " ok "} <= chars
    words = candidates(canonical("we will arrest you"), "words")
    assert {" arrest ", " will arrest ", " we will arrest ", " arre"} <= words


def test_ftrl_learns_a_separable_problem() -> None:
    rows = [([0, 2], 1), ([1, 2], 0)] * 50
    model = Ftrl(3, Settings(l1=0.0)).fit(rows, random.Random(1))
    assert model.predict([0, 2]) > 0.9
    assert model.predict([1, 2]) < 0.1


def _toy() -> list[TrainItem]:
    threats = ["你小心点晚上回家", "小心你家里人", "晚上走路小心", "你给我小心点", "小心出门"]
    clean = ["您好我是银行的", "请您按时还款", "您看明天方便吗", "我们可以分期", "谢谢您"]
    items = [TrainItem(t, labels=frozenset({"threat"})) for t in threats]
    items += [TrainItem(t) for t in clean]
    return items * 3


def _toy_model(tmp_path: Path) -> tuple[dict[str, object], Path]:
    data = train(
        _toy(),
        locale="zh-CN",
        scheme="chars",
        categories=["threat"],
        applies={"threat": lambda ctx: True},
        night=("22:00", "08:00"),
        settings=Settings(folds=3, l1=0.1),
    )
    data.pop("_out_of_fold")
    path = tmp_path / "toy.model.json"
    path.write_text(dump(data), encoding="utf-8")
    return data, path


def test_training_and_checking_see_the_same_features(tmp_path: Path) -> None:
    """The classifier loaded from the file scores exactly as the trainer's model."""
    _, path = _toy_model(tmp_path)
    model = load_classifier(path)
    assert json.loads(path.read_text(encoding="utf-8"))["classes"] == ["threat"]
    probs = model.probabilities("你小心点", CallContext())
    assert probs["threat"] > model.thresholds["threat"]
    assert model.probabilities("请您按时还款", CallContext())["threat"] < 0.5
    featurizer = build_featurizer(_toy(), "chars", 2)
    ids = featurizer(TrainItem("你小心点"))
    names = [featurizer.vocabulary[i] for i in ids if i < len(featurizer.vocabulary)]
    assert set(names) == {model.features[i] for i in model.feature_ids(canonical("你小心点"))}


def test_evidence_points_at_the_weightiest_words(tmp_path: Path) -> None:
    _, path = _toy_model(tmp_path)
    model = load_classifier(path)
    text = "您好,你小心点"
    start, end = model.evidence(text, "threat")
    assert "小心" in text[start:end] or text[start:end] in "小心"


def test_training_is_deterministic(tmp_path: Path) -> None:
    first, _ = _toy_model(tmp_path)
    second, _ = _toy_model(tmp_path)
    assert dump(first) == dump(second)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": 9}', "format"),
        ('{"format": 1, "locale": "zh-CN"}', "missing"),
        (
            '{"format": 1, "locale": "zh-CN", "classes": ["nope"], "bias": {}, '
            '"thresholds": {}, "weights": {}}',
            "categories",
        ),
    ],
)
def test_a_broken_model_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        load_classifier(path)


def _overlay(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_rulebook_naming_a_missing_model_fails_with_position(tmp_path: Path) -> None:
    path = _overlay(
        tmp_path, "kind: rulebook\nid: bank\nversion: '1'\nextends: zh-CN\nmodel: nope.json\n"
    )
    with pytest.raises(ContentError) as caught:
        load_rulebook(path)
    diag = caught.value.diagnostics[0]
    assert (diag.code, diag.line) == ("K611", 5)
    assert "nope.json" in diag.message


def test_a_model_rule_needs_a_model_and_no_words(tmp_path: Path) -> None:
    rule = """
  - id: XX-THR-001
    category: threat
    severity: major
    model: true
    triggers: [小心]
    title: t
    message: m
    suggestion: s
    citations: [{instrument: x, status: verify}]
    examples: {flag: [a, b, c], pass: [d, e]}
"""
    path = _overlay(
        tmp_path, "kind: rulebook\nid: bare\nversion: '1'\nlocale: zh-CN\nrules:" + rule
    )
    with pytest.raises(ContentError) as caught:
        load_rulebook(path)
    messages = " | ".join(d.message for d in caught.value.diagnostics)
    assert "names no model file" in messages
    assert "also has triggers" in messages


def test_an_overlay_can_relevel_or_disable_model_rules(tmp_path: Path) -> None:
    book = load_rulebook("zh-CN")
    model_rules = [r for r in book.rules if r.spec.model]
    assert {r.category for r in model_rules} == set(book.classifier.classes)  # type: ignore[union-attr]
    target = model_rules[0]
    flagged = target.spec.examples.flag[0]
    ctx = CallContext(party=flagged.party, verified=flagged.verified)
    path = _overlay(
        tmp_path,
        "kind: rulebook\nid: bank\nversion: '1'\nextends: zh-CN\n"
        f"relevel: {{{target.id}: review}}\n",
    )
    relevelled = load_rulebook(path)
    assert [f.severity for f in relevelled.check(flagged.text, ctx) if f.rule == target.id] == [
        "review"
    ]
    path = _overlay(
        tmp_path,
        f"kind: rulebook\nid: bank\nversion: '1'\nextends: zh-CN\ndisable: [{target.id}]\n",
    )
    assert not [f for f in load_rulebook(path).check(flagged.text, ctx) if f.rule == target.id]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_model_findings_explain_and_span_a_clause(locale: str) -> None:
    book = load_rulebook(locale)
    for rule in (r for r in book.rules if r.spec.model):
        example = rule.spec.examples.flag[0]
        ctx = CallContext(party=example.party, verified=example.verified)
        found = [f for f in book.check(example.text, ctx) if f.rule == rule.id]
        assert len(found) == 1, (rule.id, example.text)
        finding = found[0]
        assert example.text[finding.start : finding.end] == finding.match
        assert finding.match.strip()
        assert finding.citations and finding.suggestion


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_shipped_model_was_trained_on_the_current_data(locale: str) -> None:
    """The model file names the JSONL files it learned from and their digest."""
    from trainer.grading.learned import file_digest

    book = load_rulebook(locale)
    assert isinstance(book.classifier, Classifier)
    trained = book.classifier.trained_on
    candidates_ = [ROOT / "training" / "grader", ROOT / "tests" / "grading" / "eval"]
    files = []
    for name in trained["files"]:
        assert not name.startswith(HELD_OUT), "trained on a held-out set"
        found = [folder / name for folder in candidates_ if (folder / name).is_file()]
        assert found, f"{name} is missing"
        files.append(found[0])
    assert file_digest(files) == trained["sha256"], (
        f"training data changed since the {locale} model was trained: "
        f"run 'trainer rules train {locale} --data …' (see docs/rules.md)"
    )


def test_featurizer_handles_empty_vocabulary() -> None:
    featurizer = Featurizer([], ["party=debtor"])
    assert featurizer(TrainItem("随便")) == [0]


# ---------------------------------------------------------------- trainer rules train

TINY_BOOK = """kind: rulebook
id: tiny
version: "1"
locale: zh-CN
model: tiny.model.json
rules:
  - id: XX-THR-090
    category: threat
    severity: major
    model: true
    title: t
    message: m
    suggestion: s
    citations: [{instrument: x, status: verify}]
    examples:
      flag: [你小心点晚上回家, 小心你家里人, 你给我小心点]
      pass: [请您按时还款, 谢谢您]
"""


def _tiny(tmp_path: Path) -> tuple[Path, Path]:
    book = tmp_path / "tiny.yaml"
    book.write_text(TINY_BOOK, encoding="utf-8")
    data = tmp_path / "lines.zh-CN.jsonl"
    rows = [
        {"text": t, "party": "debtor", "verified": True, "expect": "threat", "note": ""}
        for t in ("小心出门", "晚上走路小心", "你小心一点", "小心你的家人", "出门小心点")
    ]
    rows += [
        {"text": t, "party": "debtor", "verified": True, "expect": None, "note": ""}
        for t in ("您好我是银行的", "您看明天方便吗", "我们可以分期", "请通过官方App还款", "谢谢")
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows * 3), "utf-8")
    return book, data


def test_rules_train_writes_the_model_the_book_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import main

    book, data = _tiny(tmp_path)
    code = main(
        ["rules", "train", str(book), "--data", str(tmp_path), "--no-scenarios", "--set", "folds=3"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "threat" in out and "out-of-fold recall" in out
    model = load_classifier(tmp_path / "tiny.model.json")
    assert model.classes == ("threat",)
    assert model.trained_on["files"] == [data.name]
    loaded = load_rulebook(book)
    found = loaded.check("你小心点晚上回家", CallContext())
    assert [f.rule for f in found] == ["XX-THR-090"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "/nonexistent/folder"], "no such file or folder"),
        (["--set", "bogus=1"], "unknown setting"),
        (["--set", "epochs=many"], "epochs must be a whole number from 1 to 100"),
    ],
)
def test_rules_train_rejects_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    from trainer.cli import main

    book, _ = _tiny(tmp_path)
    assert main(["rules", "train", str(book), "--no-scenarios", *extra]) == 2
    assert message in capsys.readouterr().err


def test_rules_train_reports_a_malformed_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import main

    book, data = _tiny(tmp_path)
    data.write_text('{"text": "ok", "expect": null}\nnot json\n', encoding="utf-8")
    assert main(["rules", "train", str(book), "--data", str(data), "--no-scenarios"]) == 2
    assert f"{data}:2" in capsys.readouterr().err


HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("train-array-row.jsonl", ":1:1: not a training item: the row is a list"),
        ("train-text-row.jsonl", ":1:1: not a training item: the row is str"),
        ("train-time-bad.jsonl", ":1:1: not a training item: 'time' is '25:99', not HH:MM"),
        ("train-time-dict.jsonl", ":1:1: not a training item: 'time' is {'h': 21}, not HH:MM"),
        ("train-latin1.jsonl", ":1:12: not UTF-8 text (byte 0xfc)"),
    ],
)
def test_rules_train_refuses_a_hostile_data_file_in_one_line(
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    name: str,
    message: str,
) -> None:
    book, _ = _tiny(tmp_path)
    result = run_cli("rules", "train", str(book), "--data", str(HOSTILE / name), "--no-scenarios")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"{name}{message}" in result.stderr
    assert not (tmp_path / "tiny.model.json").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("folds=0", "folds must be from 2 to 20, not 0"),
        ("folds=100000", "folds must be from 2 to 20, not 100000"),
        ("alpha=nan", "alpha must be from 1e-06 to 10, not nan"),
        ("epochs=inf", "epochs must be a whole number from 1 to 100, not 'inf'"),
    ],
)
def test_rules_train_refuses_settings_out_of_range_before_training(
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    setting: str,
    message: str,
) -> None:
    from trainer.training import learning

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(learning, "train", started)
    book, _ = _tiny(tmp_path)
    result = run_cli("rules", "train", str(book), "--no-scenarios", "--set", setting)
    assert result.returncode == 2 and result.stderr == f"trainer: --set {setting}: {message}\n"


@pytest.mark.parametrize("where", ["missing-folder/m.json", "."])
def test_an_unwritable_out_is_found_before_training(
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    where: str,
) -> None:
    """The model used to be lost: the file was opened only after minutes of training."""
    from trainer.training import learning

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(learning, "train", started)
    book, _ = _tiny(tmp_path)
    out = tmp_path / where
    result = run_cli("rules", "train", str(book), "--no-scenarios", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith(f"trainer: cannot write the model to {out}: ")
    assert "choose another --out" in result.stderr or "give a file name" in result.stderr


_BATCH_LINES = {
    "zh-CN": [
        "你小心点晚上回家",
        "请您按时还款",
        "您好，我是催收员",
        "不还钱就告诉你单位",
        "我们可以分期",
    ],
    "en-US": [
        "you better watch out",
        "please pay on time",
        "we will call your boss",
        "hello, this is",
        "a plan works",
    ],
}


@pytest.mark.parametrize("size", [1, 15, 16, 40])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_batched_scores_are_the_one_line_scores_bit_for_bit(locale: str, size: int) -> None:
    # below SMALL lines a batch takes the one-line path, from it numpy's column sums:
    # either way each score must be the very same float as `logits` gives
    from trainer.grading.normalize import normalize

    model = load_rulebook(locale).classifier
    assert model is not None
    lines = _BATCH_LINES[locale]
    norms = [normalize(f"{lines[i % 5]} {i}").text for i in range(size)]
    contexts = [
        CallContext(party=("debtor", "third_party")[i % 2], verified=bool(i % 3))
        for i in range(size)
    ]
    batch, canons = model.logits_many(norms, contexts)
    for norm, ctx, scores, canon in zip(norms, contexts, batch, canons, strict=True):
        assert (scores, canon) == model.logits(norm, ctx)
