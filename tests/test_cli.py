"""The ``asnclf`` command, called in process (plus one real run of the installed entry point)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asnclf.artifacts import MANIFEST, sha256_file
from asnclf.cli import main
from asnclf.corpus import split_path
from asnclf.labels import LABELS
from asnclf.models import load_model

ARTICLES = [
    {"id": "a1", "title": "ASN Diminta Netral", "text": "Sekda mengingatkan ASN agar tidak ikut kampanye."},
    {"id": "a2", "title": "", "text": "Bawaslu menerima laporan dugaan camat ikut kampanye. KASN menjatuhkan sanksi."},
    {"id": "a3", "title": "Ikrar", "text": "Ratusan ASN mengucapkan ikrar netralitas."},
]


def _write_input(path: Path, fmt: str) -> Path:
    if fmt == "txt":
        path.write_text("\n".join(a["text"] for a in ARTICLES) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    elif fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "title", "text"])
            writer.writeheader()
            writer.writerows(ARTICLES)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(ARTICLES), path)
    return path


def _read_output(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("out_fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("in_fmt", ["txt", "jsonl", "csv", "parquet"])
def test_cli_tag_formats(tfidf_model_dir, tmp_path, capsys, in_fmt, out_fmt):
    source = _write_input(tmp_path / f"in.{in_fmt}", in_fmt)
    output = tmp_path / f"out.{out_fmt}"
    assert main(["tag", str(source), "-o", str(output), "--model", str(tfidf_model_dir), "-q"]) == 0
    assert "3 tagged, 0 bad rows skipped" in capsys.readouterr().err
    rows = _read_output(output, out_fmt)
    assert [int(r["row"]) for r in rows] == [1, 2, 3]
    if in_fmt != "txt":
        assert [str(r["id"]) for r in rows] == ["a1", "a2", "a3"]
    for row in rows:
        labels = row["labels"]
        labels = labels.split(";") if isinstance(labels, str) and out_fmt == "csv" else labels
        assert set(filter(None, labels)) <= set(LABELS)


@pytest.mark.parametrize("bad", ["bad-json", "None-text", "int-text"])
def test_cli_tag_malformed_row_reported_and_skipped(tfidf_model_dir, tmp_path, capsys, bad):
    line = {
        "bad-json": '{"id": "x", "text": "unterminated',
        "None-text": json.dumps({"id": "x", "text": None}),
        "int-text": json.dumps({"id": "x", "text": 12}),
    }[bad]
    lines = [json.dumps(ARTICLES[0]), json.dumps(ARTICLES[1]), line, json.dumps(ARTICLES[2])]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    assert main(["tag", str(source), "-o", str(output), "--model", str(tfidf_model_dir)]) == 0
    err = capsys.readouterr().err
    assert "asnclf tag: row 3 skipped:" in err and "3 tagged, 1 bad rows skipped" in err
    rows = _read_output(output, "jsonl")
    assert [(r["row"], r["id"]) for r in rows] == [(1, "a1"), (2, "a2"), (4, "a3")]


def test_cli_tag_resume_after_torn_output(tfidf_model_dir, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text(
        "".join(f"{a['text']} Nomor {i}.\n" for i in range(12) for a in ARTICLES[i % 3 : i % 3 + 1]), encoding="utf-8"
    )
    full, partial = tmp_path / "full.jsonl", tmp_path / "partial.jsonl"
    assert main(["tag", str(source), "-o", str(full), "--model", str(tfidf_model_dir)]) == 0
    lines = full.read_bytes().splitlines(keepends=True)
    partial.write_bytes(b"".join(lines[:5]) + lines[5][:40])
    capsys.readouterr()
    assert main(["tag", str(source), "-o", str(partial), "--model", str(tfidf_model_dir), "--resume"]) == 0
    assert "7 tagged, 0 bad rows skipped, 5 already done" in capsys.readouterr().err
    rows = [r["row"] for r in _read_output(partial, "jsonl")]
    assert rows == list(range(1, 13))
    assert partial.read_bytes() == full.read_bytes()


def test_cli_tag_to_stdout(tfidf_model_dir, tmp_path, capsys):
    source = _write_input(tmp_path / "in.txt", "txt")
    assert main(["tag", str(source), "--model", str(tfidf_model_dir), "--no-sentences"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and all("sentences" not in r for r in rows)


# ---------------------------------------------------------------------------- evaluate
@pytest.fixture(scope="module")
def evaluate_json(tfidf_model_dir, tmp_path_factory):
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            [
                "evaluate",
                "--model",
                str(tfidf_model_dir),
                "--data",
                str(split_path("test")),
                "--json",
                "--resamples",
                "50",
            ]
        )
    return code, out.getvalue(), err.getvalue()


def test_cli_evaluate_json(evaluate_json):
    code, out, _ = evaluate_json
    assert code == 0
    assert len(out.strip().splitlines()) == 1  # one JSON object on one line
    report = json.loads(out)
    sentence, article = report["sentence"], report["article"]
    for key in ("macro_f1", "micro_f1"):
        assert 0.0 <= sentence[key] <= 1.0 and 0.0 <= article[key] <= 1.0
    assert set(sentence["per_label"]) == set(LABELS) == set(article["per_label"])
    for name in LABELS:
        entry = sentence["per_label"][name]
        assert {"precision", "recall", "f1", "support", "ci95"} <= set(entry)
        low, high = entry["ci95"]
        assert 0.0 <= low <= high <= 1.0
    assert sum(sentence["per_label"][n]["support"] for n in LABELS) > 0
    assert 0.0 <= article["primary_accuracy"] <= 1.0
    assert report["model"]["kind"] == "tfidf" and report["model"]["article_rule"] == "tuned"
    data = report["data"]
    assert (data["articles"], data["sentences"]) == (98, 1350)
    assert data["sha256"] == sha256_file(split_path("test"))
    provenance = report["provenance"]
    assert provenance["n_resamples"] == 50 and provenance["seed"] == 0
    assert provenance["data_sha256"] == data["sha256"] and "git_revision" in provenance
    assert provenance["versions"]["asnclf"]


def test_cli_evaluate_report_files(tfidf_model_dir, tmp_path, capsys):
    report_dir = tmp_path / "report"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tfidf_model_dir),
                "--data",
                str(split_path("dev")),
                "--report",
                str(report_dir),
                "--resamples",
                "20",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.startswith("# asnclf evaluation")  # Markdown on stdout without --json
    assert "report written to" in captured.err
    assert sorted(p.name for p in report_dir.iterdir()) == ["report.json", "report.md", "report.png"]
    assert json.loads((report_dir / "report.json").read_text(encoding="utf-8"))["data"]["articles"] == 42
    assert (report_dir / "report.md").read_text(encoding="utf-8").startswith("# asnclf evaluation")
    assert (report_dir / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_cli_evaluate_unknown_label_in_data(tfidf_model_dir, tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "a", "labels": ["bribery"]}\n', encoding="utf-8")
    assert main(["evaluate", "--model", str(tfidf_model_dir), "--data", str(data), "--json"]) == 2
    err = capsys.readouterr().err
    assert "'bribery'" in err and "declaration" in err and "[E002]" in err


# ---------------------------------------------------------------------------- train and info
def test_cli_train_then_info(small_corpus, tmp_path, capsys):
    output = tmp_path / "trained"
    assert (
        main(
            [
                "train",
                "tfidf",
                "-o",
                str(output),
                "--cv_folds",
                "2",
                "--train",
                str(small_corpus["tiny"]),
                "--dev",
                str(small_corpus["tiny"]),
                "--max_char_features",
                "2000",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["saved"] == str(output.resolve()) and printed["kind"] == "tfidf"
    assert printed["config"]["cv_folds"] == 2 and printed["config"]["max_char_features"] == 2000
    assert main(["info", str(output)]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["kind"] == "tfidf" and manifest["path"] == str(output.resolve())
    assert manifest["config"]["cv_folds"] == 2
    assert manifest["training"]["data_sha256"] == sha256_file(small_corpus["tiny"])
    assert set(manifest["files"]) == {"vocabulary.json", "weights.safetensors", "aggregator.json"}
    assert load_model(output).is_fitted


def test_cli_train_on_flat_sentences(tmp_path, capsys):
    """Flat files carry no context: the default TF-IDF (which uses context) still trains on them."""
    rows = [
        ("Sekda mengingatkan ASN agar netral.", "warning"),
        ("Bupati mengingatkan pegawai agar netral.", "warning"),
        ("KASN menjatuhkan sanksi kepada camat.", "sanction"),
        ("Camat dijatuhi sanksi oleh KASN.", "sanction"),
        ("Ratusan ASN berikrar netral.", "declaration"),
        ("Kepala desa berikrar netral.", "declaration"),
        ("Bawaslu menerima laporan dugaan.", "violation_report"),
        ("Warga melapor ke Bawaslu.", "violation_report"),
    ]
    data = tmp_path / "flat.csv"
    data.write_text("text,labels\n" + "".join(f'"{t}",{label}\n' for t, label in rows), encoding="utf-8")
    output = tmp_path / "flat_model"
    assert main(["train", "tfidf", "-o", str(output), "--train", str(data), "--dev", str(data), "--cv_folds", "2"]) == 0
    capsys.readouterr()
    assert main(["info", str(output)]) == 0
    assert json.loads(capsys.readouterr().out)["training"]["train_size"] == 8
    model = load_model(output)
    assert model.predict_proba(["Sekda mengingatkan ASN agar netral."]).argmax() == LABELS.index("warning")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "xgboost", "-o", "{tmp}/m"], "unknown model kind 'xgboost'"),
        (["tag", "{tmp}/in.txt", "--model", "no_such_model"], "neither a model directory nor a shipped model"),
        (["evaluate", "--model", "no_such_model", "--data", "{tmp}/in.txt"], "no_such_model"),
        (["info", "no_such_model"], "no_such_model"),
        (["info", "{tmp}"], "not an asnclf model"),
        (["train", "tfidf", "-o", "{tmp}/m", "--bogus_key", "1"], "unknown key(s) ['bogus_key']"),
        (["train", "tfidf", "-o", "{tmp}/m", "--cv_folds"], "expected '--key value' overrides"),
        (["train", "tfidf", "-o", "{tmp}/m", "--cv_folds", "1"], "cv_folds must be >= 2"),
        (["tag", "{tmp}/missing.jsonl", "--model", "{model}"], "cannot open"),
    ],
    ids=[
        "unknown-kind",
        "unknown-tag-model",
        "unknown-evaluate-model",
        "unknown-info-model",
        "info-not-model",
        "unknown-override",
        "override-without-value",
        "invalid-override",
        "missing-input",
    ],
)
def test_cli_errors_exit_2_with_clear_message(tfidf_model_dir, tmp_path, capsys, argv, message):
    (tmp_path / "in.txt").write_text("ASN netral.\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path, model=tfidf_model_dir) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"asnclf {argv[0]}: error: [E")
    assert message in err
    assert "Traceback" not in err


def test_cli_unrecognized_arguments_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["info", "x", "--bogus"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_cli_entry_point_subprocess(tfidf_model_dir):
    """The installed ``asnclf`` script runs: text from stdin, JSONL on stdout."""
    script = Path(sys.executable).parent / "asnclf"
    assert script.is_file()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    completed = subprocess.run(
        [str(script), "tag", "-", "--model", str(tfidf_model_dir), "--no-sentences"],
        input="Sekda mengingatkan ASN agar tidak ikut kampanye.\n\nKASN menjatuhkan sanksi.\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [r["row"] for r in rows] == [1, 2]
    assert "2 tagged, 0 bad rows skipped" in completed.stderr
    assert (tfidf_model_dir / MANIFEST).is_file()
