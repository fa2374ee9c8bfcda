"""Benchmark readers (SmSA, EmoT, CASA, NusaX), grouped label sets, and the data staying outside the repository."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pytest

from asnclf import benchmark_data
from asnclf.benchmark_data import CASA_ASPECTS, BenchmarkDataMissing, data_dir, load_dataset, subsample
from asnclf.errors import DataFormatError, LabelError
from asnclf.labels import LabelSet

MARKER = "zqxmarker"
"""A word every fake benchmark text carries, to prove no text reaches the outputs."""

WORDS = {
    "positive": ["enak", "bagus", "mantap", "puas"],
    "negative": ["buruk", "kecewa", "jelek", "mahal"],
    "neutral": ["kampanye", "besok", "jadwal", "informasi"],
    "sadness": ["sedih", "menangis"],
    "anger": ["marah", "kesal"],
    "love": ["sayang", "cinta"],
    "fear": ["takut", "ngeri"],
    "happy": ["senang", "bahagia"],
}


def _text(rng: np.random.Generator, *keys: str) -> str:
    words = [str(rng.choice(WORDS[k])) for k in keys] + [str(w) for w in rng.choice(["dan", "yang", "itu", "ini"], 3)]
    rng.shuffle(words)
    return f"{MARKER} " + " ".join(words)


def write_fake_benchmarks(
    root: Path,
    sizes: dict[str, int] | None = None,
    seed: int = 0,
    only: tuple[str, ...] = ("smsa", "emot", "casa", "nusax_senti_ind"),
) -> Path:
    """Tiny datasets in the upstream formats (SmSA TSV without header, CSVs with headers)."""
    sizes = sizes or {"train": 60, "valid": 24, "test": 30}
    rng = np.random.default_rng(seed)
    sentiments = ["positive", "neutral", "negative"]
    emotions = ["sadness", "anger", "love", "fear", "happy"]
    for name in only:
        directory = root / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "SOURCE").write_text(f"fake {name} for tests\n", encoding="utf-8")
        (directory / "LICENSE").write_text("test data\n", encoding="utf-8")
        for split, n in sizes.items():
            if name == "smsa":
                lines = []
                for i in range(n):
                    label = sentiments[i % 3]
                    quote = ' "kutipan' if i == 0 else ""  # a lone quote: the TSV has no quoting
                    lines.append(f"{_text(rng, label)}{quote}\t{label}")
                (directory / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
            elif name == "emot":
                rows = ["label,tweet"] + [f'{emotions[i % 5]},"{_text(rng, emotions[i % 5])}, ya"' for i in range(n)]
                (directory / f"{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
            elif name == "nusax_senti_ind":
                rows = ["id,text,label"] + [
                    f"{i},{_text(rng, sentiments[i % 3])},{sentiments[i % 3]}" for i in range(n)
                ]
                (directory / f"{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
            else:
                rows = ["sentence," + ",".join(CASA_ASPECTS)]
                for i in range(n):
                    values = ["neutral"] * len(CASA_ASPECTS)
                    values[i % len(CASA_ASPECTS)] = sentiments[(i // len(CASA_ASPECTS)) % 3]
                    aspect_words = [CASA_ASPECTS[i % len(CASA_ASPECTS)], values[i % len(CASA_ASPECTS)]]
                    text = f"{MARKER} {aspect_words[0]} {rng.choice(WORDS[aspect_words[1]])} mobil"
                    rows.append(f"{text}," + ",".join(values))
                (directory / f"{split}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory) -> Path:
    return write_fake_benchmarks(tmp_path_factory.mktemp("benchmarks"))


# ---------------------------------------------------------------------------- readers
@pytest.mark.parametrize("name", ["smsa", "emot", "casa", "nusax_senti_ind"])
def test_benchmark_data_reads_every_split(fake_dir: Path, name: str) -> None:
    dataset = load_dataset(name, fake_dir)
    assert list(dataset.splits) == ["train", "valid", "test"]
    for split, data in dataset.splits.items():
        assert len(data.texts) == {"train": 60, "valid": 24, "test": 30}[split]
        assert data.articles is None and data.context is None
        path = Path(data.source)
        assert data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == dataset.files[split]["sha256"]
        encoded = dataset.label_set.encode(data.labels)  # every label known, one per choice
        assert encoded.shape == (len(data.texts), len(dataset.label_set))
        assert all(text.startswith(MARKER) for text in data.texts)
    assert dataset.describe()["source"] == f"fake {name} for tests"


def test_benchmark_data_smsa_keeps_quotes_and_has_no_header(fake_dir: Path) -> None:
    data = load_dataset("smsa", fake_dir).splits["train"]
    assert data.texts[0].endswith(' "kutipan')
    assert data.labels[0] == ["positive"]


def test_benchmark_data_label_sets_follow_upstream_order() -> None:
    specs = benchmark_data.DATASETS
    assert specs["smsa"].label_set == LabelSet(("positive", "neutral", "negative"), multi_label=False)
    assert specs["emot"].label_set.names == ("sadness", "anger", "love", "fear", "happy")
    casa = specs["casa"].label_set
    assert casa.group_names == CASA_ASPECTS
    assert len(casa) == 18 and casa.names[:3] == ("fuel:negative", "fuel:neutral", "fuel:positive")


def test_benchmark_data_casa_has_one_label_per_aspect(fake_dir: Path) -> None:
    data = load_dataset("casa", fake_dir).splits["test"]
    for labels in data.labels:
        assert [label.split(":")[0] for label in labels] == list(CASA_ASPECTS)


@pytest.mark.parametrize(
    ("name", "file", "content", "message"),
    [
        ("smsa", "train.tsv", "teks tanpa label\n", "expected 'text<TAB>label'"),
        ("smsa", "train.tsv", "teks\tsenang\n", "unknown label 'senang'"),
        ("emot", "train.csv", "label,tweet\nbored,teks\n", "unknown label 'bored'"),
        ("casa", "train.csv", "sentence,fuel\nteks,neutral\n", "aspect column(s)"),
        ("nusax_senti_ind", "train.csv", "id,text\n1,teks\n", "no column 'label'"),
    ],
)
def test_benchmark_data_malformed_files_name_file_and_line(
    tmp_path: Path, name: str, file: str, content: str, message: str
) -> None:
    write_fake_benchmarks(tmp_path, only=(name,))
    (tmp_path / name / file).write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError, match="train") as error:
        load_dataset(name, tmp_path)
    assert message in str(error.value)


def test_benchmark_data_missing_dataset_says_where_to_point(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkDataMissing) as error:
        load_dataset("emot", tmp_path)
    text = str(error.value)
    assert str(tmp_path / "emot" / "train.csv") in text and "--data-dir" in text and "ASNCLF_DATA_DIR" in text


def test_benchmark_data_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASNCLF_DATA_DIR", str(tmp_path / "from_env"))
    assert data_dir() == tmp_path / "from_env"
    assert data_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("ASNCLF_DATA_DIR")
    assert data_dir().parts[-3:] == ("shared", "data", "benchmarks")


def test_benchmark_data_subsample_is_stratified_and_deterministic(fake_dir: Path) -> None:
    data = load_dataset("smsa", fake_dir).splits["train"]
    first, again = subsample(data, 30, seed=3), subsample(data, 30, seed=3)
    assert first.texts == again.texts and len(first.texts) == 30
    assert sorted(label[0] for label in first.labels) == sorted(["positive", "neutral", "negative"] * 10)
    assert subsample(data, None) is data and subsample(data, 1000) is data
    assert set(first.texts) <= set(data.texts)


# ---------------------------------------------------------------------------- grouped label sets
def test_benchmark_data_grouped_label_set_validates() -> None:
    groups = LabelSet.from_groups({"a": ["x", "y"], "b": ["x", "y"]})
    assert LabelSet.from_dict(groups.to_dict()) == groups
    assert groups.value_of("b:y") == "y" and [c.tolist() for c in groups.choices()] == [[0, 1], [2, 3]]
    assert "groups" not in LabelSet().to_dict()  # ungrouped manifests are unchanged
    with pytest.raises(LabelError, match="multi-label"):
        LabelSet(("a", "b"), multi_label=False, groups=(("a", "b"),))
    with pytest.raises(LabelError, match="each label in exactly one"):
        LabelSet(("a", "b", "c"), groups=(("a", "b"),))
    with pytest.raises(LabelError, match="group 'b' needs exactly one"):
        groups.encode([["a:x", "b:x", "b:y"]])


def test_benchmark_data_grouped_model_takes_argmax_per_group(fake_dir: Path, tmp_path: Path) -> None:
    from asnclf.models import load_model
    from asnclf.models.tfidf import TfidfModel

    dataset = load_dataset("casa", fake_dir)
    train, test = dataset.splits["train"], dataset.splits["test"]
    model = TfidfModel(labels=dataset.label_set).fit(
        train.texts, train.labels, dev_texts=dataset.splits["valid"].texts, dev_labels=dataset.splits["valid"].labels
    )
    predicted = model.predict([*test.texts, ""])
    for columns in dataset.label_set.choices():
        assert (predicted[:-1, columns].sum(axis=1) == 1).all()
    assert predicted[-1].sum() == 0  # empty text: no label
    loaded = load_model(model.save(tmp_path / "casa_model"))
    assert loaded.labels == dataset.label_set
    np.testing.assert_array_equal(loaded.predict(test.texts), predicted[:-1])


# ---------------------------------------------------------------------------- the real data, when present
def _real_dir() -> Path:
    directory = data_dir()
    if not (directory / "smsa").is_dir():
        pytest.skip(f"benchmark data not found at {directory} (set ASNCLF_DATA_DIR)")
    return directory


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("smsa", (11000, 1260, 500)),
        ("emot", (3521, 440, 440)),
        ("casa", (810, 90, 180)),
        ("nusax_senti_ind", (500, 100, 400)),
    ],
)
def test_benchmark_data_real_files(name: str, rows: tuple[int, int, int]) -> None:
    dataset = load_dataset(name, _real_dir())
    assert tuple(len(d.texts) for d in dataset.splits.values()) == rows
    for data in dataset.splits.values():
        dataset.label_set.encode(data.labels)


def test_benchmark_data_never_copied_into_repository() -> None:
    """No file of the checkout (tracked or not, outside .git and .venv) has a benchmark file's bytes."""
    directory = _real_dir()
    data_files = [p for p in directory.rglob("*") if p.is_file() and p.name not in ("LICENSE", "SOURCE")]
    by_size: dict[int, set[str]] = {}
    for path in data_files:
        by_size.setdefault(path.stat().st_size, set()).add(hashlib.sha256(path.read_bytes()).hexdigest())
    root = Path(__file__).resolve().parent.parent
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in listed.stdout.splitlines():
        path = root / name
        if path.is_file() and path.stat().st_size in by_size:
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in by_size[path.stat().st_size], name
