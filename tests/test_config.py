"""Configuration dataclasses: JSON round trip, hashing, strict parsing, overrides."""

from __future__ import annotations

import dataclasses
import json

import pytest

from asnclf.config import Config
from asnclf.errors import ConfigError
from asnclf.models.tfidf import TfidfConfig


@dataclasses.dataclass(frozen=True)
class ExampleConfig(Config):
    name: str = "x"
    rate: float = 0.1
    layers: tuple[int, ...] = (1, 2)
    limit: int | None = None
    flag: bool = False


def test_config_round_trip_dict_and_json(tmp_path):
    config = TfidfConfig(cv_folds=3, char_ngrams=(2, 4), C=2.5)
    data = config.to_dict()
    assert data["char_ngrams"] == [2, 4]  # tuples become JSON lists
    assert TfidfConfig.from_dict(data) == config
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert TfidfConfig.from_file(path) == config


def test_config_sha256_is_stable_and_sensitive():
    assert TfidfConfig().sha256() == TfidfConfig().sha256()
    assert TfidfConfig(seed=1).sha256() != TfidfConfig(seed=2).sha256()
    assert ExampleConfig().sha256() != Config().sha256()


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TfidfConfig().seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bogus": 1}, r"unknown key\(s\) \['bogus'\]"),
        ({"rate": "fast"}, "expected a number"),
        ({"rate": True}, "expected a number"),
        ({"layers": 3}, "expected a list"),
        ({"layers": ["a"]}, "integer"),
        ({"limit": 1.5}, "does not fit"),
        ({"flag": "yes"}, "true/false"),
        ({"name": 5}, "expected a string"),
        ({"seed": 1.0}, "expected an integer"),
    ],
)
def test_config_from_dict_errors(data, message):
    with pytest.raises(ConfigError, match=message):
        ExampleConfig.from_dict(data)


def test_config_from_dict_coerces():
    config = ExampleConfig.from_dict({"rate": 1, "layers": [3, 4], "limit": None})
    assert config.rate == 1.0 and isinstance(config.rate, float)
    assert config.layers == (3, 4)
    assert ExampleConfig.from_dict({"limit": 5}).limit == 5


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_config_from_file_errors(tmp_path, content):
    path = tmp_path / "config.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        TfidfConfig.from_file(path)


def test_config_from_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        TfidfConfig.from_file(tmp_path / "missing.json")


def test_config_with_overrides():
    config = TfidfConfig().with_overrides(
        {"cv_folds": "2", "char_ngrams": "[2, 3]", "class_weight": "none", "C": "0.5"}
    )
    assert (config.cv_folds, config.char_ngrams, config.class_weight, config.C) == (2, (2, 3), "none", 0.5)
    with pytest.raises(ConfigError, match="unknown key"):
        TfidfConfig().with_overrides({"cv_fold": "2"})
    with pytest.raises(ConfigError, match="cv_folds"):
        TfidfConfig().with_overrides({"cv_folds": "1"})


def test_config_validation_in_post_init():
    with pytest.raises(ConfigError):
        TfidfConfig(min_df=0)
    with pytest.raises(ConfigError):
        TfidfConfig(char_ngrams=(3,))
