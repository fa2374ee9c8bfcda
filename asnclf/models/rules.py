"""The ``rules`` model: an Indonesian lexicon-and-pattern tagger that needs no training.

It is the floor every learned model must clear and a weak labeler for new data. All knowledge
lives in a JSON lexicon (``rules_lexicon.json`` beside this module, or a file named in
:class:`RulesConfig`), written from the annotation codebook; a saved rules model carries its
own copy, so the artifact is self-contained JSON.

How a sentence is scored, per label (every number comes from the lexicon):

1. **Cues**: tiers of patterns with a weight (a strong cue such as ``ikrar`` 0.9, a weak one
   such as ``apel`` 0.45). The label's evidence is the noisy-OR of the weights of the tiers
   that match: ``1 - prod(1 - w)``, each tier counted once.
2. **Scopes**: named pattern lists (``apparatus``: ASN, PNS, PPPK, kepala desa, camat ...;
   ``election``: netralitas, pemilu, kampanye ...). For every scope the sentence does not
   mention, the score is multiplied by the label's ``missing_scope_factors`` entry.
3. **Dampers**: patterns that multiply the score by a factor below 1: per label (an appeal to
   the public is not a ``warning``; a pledge "tidak mengulangi" is not a ``declaration``) and
   global (boilerplate lines 0, pilkades 0.1, press neutrality, THR/absenteeism/corruption
   news). A question gets ``question_factor`` (every question is none).
4. **Context** (when given): ``title`` and ``previous`` weights strengthen a sentence's own
   evidence for a label (never create it) with the evidence of its article title and of the
   sentence before it (a fact added to a case story is a ``violation_report``); global dampers
   marked ``in_title`` scale the whole article (a pilkades story is out of scope). The
   lexicon's default thresholds assume context; sentences scored alone get lower scores, so
   tune thresholds with :meth:`RulesModel.fit` on data scored the same way.

Scores are therefore graded in [0, 1] and thresholds mean something. Patterns are matched on
lower-cased text as whole words, tolerating the clitics ``-nya``, ``-lah``, ``-kah``, ``-pun``;
affixes (``me-``, ``di-``, ``ber-``, ``-kan``, ``-an``) are written into the patterns.

Two ways to get a usable model::

    model = RulesModel.default()     # the lexicon's thresholds (0.5), no data needed
    model = RulesModel().fit(texts, labels, dev_texts=dev_texts, dev_labels=dev_labels)

``fit`` learns nothing but per-label thresholds, tuned on the training and dev data together
(the rules learn nothing else, so no sentence is "seen"). ``RulesModel()`` alone is not
fitted, like every other model kind.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from asnclf.artifacts import read_json, sha256_json, write_json
from asnclf.config import Config
from asnclf.errors import ArtifactIntegrityError, ConfigError
from asnclf.labels import LabelSet
from asnclf.models.base import Context, Model, Split

LEXICON_FORMAT = "asnclf-rules-lexicon"
LEXICON_VERSION = 1
"""Version of the lexicon format this module reads (older versions keep loading)."""

LEXICON_FILE = "lexicon.json"
"""Name of the lexicon inside a saved rules model."""

_QUOTES_AND_SPACE = " \t\r\n\"'”“’‘)»"
_TOKEN = re.compile(r"[\w-]+")
_TOKEN_CACHE_SIZE = 50_000
_EVIDENCE_CACHE_SIZE = 4_096


@dataclasses.dataclass(frozen=True)
class RulesConfig(Config):
    """Configuration of the rules model.

    Attributes:
        lexicon_path: JSON lexicon to use instead of the bundled ``rules_lexicon.json``
            (None: the bundled one). Read by ``fit`` and ``default``; a saved model carries its
            own copy and ignores this path when loaded.
    """

    lexicon_path: str | None = None

    def __post_init__(self) -> None:
        if self.lexicon_path is not None and (not isinstance(self.lexicon_path, str) or not self.lexicon_path):
            raise ConfigError(f"lexicon_path: expected a non-empty path or null, got {self.lexicon_path!r}")


# ---------------------------------------------------------------------------------- matching
def _lower_pattern(pattern: str) -> str:
    """Lower-case a pattern's letters but not its escapes (``\\W`` must stay ``\\W``)."""
    return re.sub(r"\\.|[^\\]+", lambda m: m.group(0) if m.group(0).startswith("\\") else m.group(0).lower(), pattern)


def _anchors(pattern: str) -> tuple[str, ...]:
    """Literals (3+ characters) that every match of ``pattern`` contains, longest first.

    Only literal runs outside groups and character classes count, and a top-level ``|`` means
    none. They are a cheap ``in`` test that skips most regular-expression searches.
    """
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            runs.append(run)
            run = ""
            i += 2
            continue
        if char == "[":
            runs.append(run)
            run = ""
            i += 1
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif char == "(":
            runs.append(run)
            run = ""
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth > 0:
            pass
        elif char == "|":
            return ()
        elif char in "?*{":
            runs.append(run[:-1])
            run = ""
            while char == "{" and i < len(pattern) and pattern[i] != "}":
                i += 1
        elif char.isalnum() or char == "-":
            run += char
        else:
            runs.append(run)
            run = ""
        i += 1
    runs.append(run)
    return tuple(sorted({r for r in runs if len(r) >= 3}, key=len, reverse=True))


def _leading_group(pattern: str) -> tuple[list[str], str] | None:
    """Split ``(?:a|b)?rest`` into ``(["a", "b", ""], "rest")`` (no ``""`` without the ``?``).

    None when the pattern does not start with a non-capturing group of alternatives.
    """
    if not pattern.startswith("(?:"):
        return None
    depth = 0
    bars = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        elif char == "|" and depth == 1:
            bars.append(i)
        i += 1
    else:
        return None
    close = i
    cuts = [2, *bars, close]  # the group's "(?:" ends at index 2
    options = [pattern[a + 1 : b] for a, b in itertools.pairwise(cuts)]
    rest = pattern[close + 1 :]
    if rest[:1] in ("*", "+", "{") or rest.startswith("??"):
        return None
    if rest.startswith("?"):
        return [*options, ""], rest[1:]
    return options, rest


def _expand(pattern: str, limit: int = 64) -> list[str]:
    """Spell out leading groups of alternatives so that each variant starts with a literal.

    ``(?:di|me)?laporkan`` becomes ``dilaporkan``, ``melaporkan``, ``laporkan``: a pattern that
    starts with a literal is searched by the regular-expression engine's fast prefix scan.
    Variants that would exceed ``limit`` keep the pattern as written.
    """
    split = _leading_group(pattern)
    if split is None:
        return [pattern]
    options, rest = split
    variants: list[str] = []
    for option in options:
        variants += _expand(option + rest, limit)
        if len(variants) > limit:
            return [pattern]
    return variants


_LITERAL_PREFIX = re.compile(r"[^\\.^$*+?{}\[\]|()\s]+")


@functools.lru_cache(maxsize=8192)
def _matches_empty(pattern: str) -> bool:
    return re.fullmatch(pattern, "") is not None


@functools.lru_cache(maxsize=8192)
def _compile_one(pattern: str) -> re.Pattern[str]:
    """Compile a pattern as a whole word (``pattern`` already lower-cased, spaces as ``\\s+``).

    A leading literal is placed before the left word-boundary check (a lookbehind over the
    literal's width) so that the engine can scan for the literal instead of testing every
    position.
    """
    prefix = _LITERAL_PREFIX.match(pattern)
    literal = prefix.group(0) if prefix else ""
    if literal and pattern[len(literal) : len(literal) + 1] in ("?", "*", "+", "{"):
        literal = literal[:-1]
    if literal:
        body = f"{re.escape(literal)}(?<!\\w{'.' * len(literal)})(?:{pattern[len(literal) :]})"
    else:
        body = f"(?<!\\w)(?:{pattern})"
    return re.compile(f"{body}(?:nya|lah|kah|pun)?(?!\\w)", re.ASCII)


class _Matcher:
    """A list of patterns matched as whole words on lower-cased text.

    Each pattern matches as ``(?<!\\w)(?:PATTERN)(?:nya|lah|kah|pun)?(?!\\w)`` and a space in
    it matches any run of white space. Leading groups of alternatives are spelled out
    (:func:`_expand`); a variant with a literal anchor is searched only when its anchors occur
    in the text (see :class:`_AnchorIndex`); the others share one alternation.
    """

    def __init__(self, patterns: Any, key: str, error: type[Exception]) -> None:
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise error(f"{key}: 'patterns' must be a non-empty list of strings")
        self.key = key
        self.anchored: list[tuple[tuple[str, ...], re.Pattern[str]]] = []
        free: list[str] = []
        for pattern in patterns:
            lowered = _lower_pattern(pattern)
            try:
                empty = _matches_empty(lowered)
            except re.error as problem:
                raise error(f"{key}: invalid regular expression {pattern!r} ({problem})") from None
            if empty:
                raise error(f"{key}: pattern {pattern!r} matches empty text, so it would match everywhere")
            for variant in _expand(lowered):
                anchors = _anchors(variant)
                spaced = variant.replace(" ", r"\s+")
                if anchors:
                    self.anchored.append((anchors, _compile_one(spaced)))
                else:
                    free.append(spaced)
        self.free = (
            re.compile(rf"(?<!\w)(?:{'|'.join(f'(?:{p})' for p in free)})(?:nya|lah|kah|pun)?(?!\w)", re.ASCII)
            if free
            else None
        )

    def fires(self, text: str, fired: set[str]) -> bool:
        """Whether it matches lower-cased ``text``, given the keys :class:`_AnchorIndex` found."""
        return self.key in fired or (self.free is not None and self.free.search(text) is not None)

    def search(self, text: str) -> re.Match[str] | None:
        """A match in lower-cased ``text`` (slow path, for :meth:`Lexicon.explain`)."""
        for anchors, pattern in self.anchored:
            if all(anchor in text for anchor in anchors):
                match = pattern.search(text)
                if match:
                    return match
        return self.free.search(text) if self.free is not None else None


class _AnchorIndex:
    """Finds which matchers' anchored patterns match, searching only those whose anchor occurs.

    Anchors are runs of word characters and hyphens, so an anchor occurs in a text only inside
    one of its ``[\\w-]+`` tokens; the anchors each token contains are cached.
    """

    def __init__(self, matchers: Sequence[_Matcher]) -> None:
        self.by_anchor: dict[str, list[tuple[str, tuple[str, ...], re.Pattern[str]]]] = {}
        for matcher in matchers:
            for (anchor, *others), pattern in matcher.anchored:
                self.by_anchor.setdefault(anchor, []).append((matcher.key, tuple(others), pattern))
        self.anchors = tuple(self.by_anchor)
        self.token_anchors: dict[str, tuple[str, ...]] = {}

    def fired(self, text: str) -> set[str]:
        """Keys of the matchers with an anchored pattern that matches lower-cased ``text``."""
        present: set[str] = set()
        cache = self.token_anchors
        for token in set(_TOKEN.findall(text)):
            found = cache.get(token)
            if found is None:
                found = tuple(anchor for anchor in self.anchors if anchor in token)
                if len(cache) >= _TOKEN_CACHE_SIZE:
                    cache.clear()
                cache[token] = found
            present.update(found)
        fired: set[str] = set()
        for anchor in present:
            for key, others, pattern in self.by_anchor[anchor]:
                if key not in fired and all(other in text for other in others) and pattern.search(text):
                    fired.add(key)
        return fired


# ---------------------------------------------------------------------------------- lexicon
def _number(value: Any, where: str, error: type[Exception]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise error(f"{where}: expected a number in [0, 1], got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class _Group:
    """Patterns with one number: a cue weight or a damper factor."""

    value: float
    matcher: _Matcher
    in_title: bool = False


def _groups(items: Any, key: str, where: str, error: type[Exception]) -> tuple[_Group, ...]:
    if not isinstance(items, list):
        raise error(f"{where}: expected a list of {{{key!r}, 'patterns'}} objects")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise error(f"{where}[{i}]: expected an object")
        in_title = item.get("in_title", False)
        if not isinstance(in_title, bool):
            raise error(f"{where}[{i}].in_title: expected true/false")
        out.append(
            _Group(
                _number(item.get(key), f"{where}[{i}].{key}", error),
                _Matcher(item.get("patterns"), f"{where}[{i}]", error),
                in_title,
            )
        )
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class _LabelRules:
    cues: tuple[_Group, ...]
    dampers: tuple[_Group, ...]
    missing_scope_factors: dict[str, float]
    threshold: float
    title_weight: float
    previous_weight: float


@dataclasses.dataclass(frozen=True)
class _Evidence:
    """What one text says on its own.

    Attributes:
        scores: per lexicon label (in :attr:`Lexicon.label_names` order), the score with every
            factor applied.
        shared: product of the global dampers and the question factor on this text; context
            evidence is scaled by it too, so questions and boilerplate stay low.
        article_factor: product of the ``in_title`` global dampers, applied to every sentence
            of an article whose title this text is.
    """

    scores: tuple[float, ...]
    shared: float
    article_factor: float


class Lexicon:
    """A validated, compiled rules lexicon (the format is described in ``rules_lexicon.json``).

    Args:
        data: the lexicon as JSON data.
        source: where it came from, for error messages.
        error: the error class for a malformed lexicon (:class:`ConfigError` for a user's file,
            :class:`ArtifactIntegrityError` for a saved model).
    """

    def __init__(self, data: Any, *, source: str = "lexicon", error: type[Exception] = ConfigError) -> None:
        if not isinstance(data, dict) or data.get("format") != LEXICON_FORMAT:
            raise error(f'{source}: not an asnclf rules lexicon (expected "format": {LEXICON_FORMAT!r})')
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= LEXICON_VERSION:
            raise error(
                f"{source}: lexicon version {version!r} is not supported; this asnclf reads 1 to {LEXICON_VERSION}"
            )
        labels = data.get("labels")
        if not isinstance(labels, dict) or not labels:
            raise error(f"{source}: 'labels' must be a non-empty object of label rules")
        scopes = data.get("scopes", {})
        if not isinstance(scopes, dict):
            raise error(f"{source}: 'scopes' must be an object of named pattern lists")
        self.data = copy.deepcopy(data)
        self.source = source
        self.question_factor = _number(data.get("question_factor", 1.0), f"{source}: question_factor", error)
        self.scopes = {name: _Matcher(patterns, f"{source}: scopes.{name}", error) for name, patterns in scopes.items()}
        self.global_dampers = _groups(data.get("global_dampers", []), "factor", f"{source}: global_dampers", error)
        self.rules: dict[str, _LabelRules] = {name: self._label(name, spec, error) for name, spec in labels.items()}
        self.label_names = tuple(self.rules)
        self._position = {name: j for j, name in enumerate(self.label_names)}
        matchers = [*self.scopes.values(), *(g.matcher for g in self.global_dampers)]
        for rules in self.rules.values():
            matchers += [g.matcher for g in (*rules.cues, *rules.dampers)]
        self._index = _AnchorIndex(matchers)
        self._evidence: dict[str, _Evidence] = {}

    def _label(self, name: str, spec: Any, error: type[Exception]) -> _LabelRules:
        where = f"{self.source}: labels.{name}"
        if not isinstance(spec, dict):
            raise error(f"{where}: expected an object")
        factors = spec.get("missing_scope_factors", {})
        if not isinstance(factors, dict) or not set(factors) <= set(self.scopes):
            raise error(f"{where}.missing_scope_factors: expected an object keyed by scope names {sorted(self.scopes)}")
        context = spec.get("context", {})
        if not isinstance(context, dict) or not set(context) <= {"title", "previous"}:
            raise error(f"{where}.context: expected an object with 'title' and/or 'previous' weights")
        return _LabelRules(
            cues=_groups(spec.get("cues"), "weight", f"{where}.cues", error),
            dampers=_groups(spec.get("dampers", []), "factor", f"{where}.dampers", error),
            missing_scope_factors={
                scope: _number(value, f"{where}.missing_scope_factors.{scope}", error)
                for scope, value in factors.items()
            },
            threshold=_number(spec.get("threshold", 0.5), f"{where}.threshold", error),
            title_weight=_number(context.get("title", 0.0), f"{where}.context.title", error),
            previous_weight=_number(context.get("previous", 0.0), f"{where}.context.previous", error),
        )

    @classmethod
    def bundled(cls) -> Lexicon:
        """The lexicon shipped with asnclf."""
        return cls.from_file(Path(str(resources.files("asnclf.models") / "rules_lexicon.json")))

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        """Read a lexicon file; any problem is a :class:`ConfigError` naming the file."""
        try:
            data = read_json(Path(path))
        except ArtifactIntegrityError as problem:
            raise ConfigError(problem.message) from None
        return cls(data, source=str(path))

    def sha256(self) -> str:
        return sha256_json(self.data)

    def missing_labels(self, labels: LabelSet) -> list[str]:
        """Labels of ``labels`` that this lexicon has no rules for."""
        return [name for name in labels.names if name not in self.rules]

    def score(self, text: str, labels: Sequence[str], context: Context | None = None) -> list[float]:
        """Scores in [0, 1] of one text for ``labels`` (in that order), using its context if given."""
        own = self.evidence(text)
        title = previous = None
        if context is not None:
            title = self.evidence(context.title) if context.title and context.title != text else None
            previous = self.evidence(context.previous) if context.previous else None
        article_factor = title.article_factor if title is not None else 1.0
        scores = []
        for name in labels:
            j = self._position[name]
            rules = self.rules[name]
            if own.scores[j] == 0.0:
                scores.append(0.0)
                continue
            miss = 1.0 - own.scores[j]
            if title is not None:
                miss *= 1.0 - rules.title_weight * title.scores[j] * own.shared
            if previous is not None:
                miss *= 1.0 - rules.previous_weight * previous.scores[j] * own.shared
            scores.append((1.0 - miss) * article_factor)
        return scores

    def evidence(self, text: str) -> _Evidence:
        """What ``text`` says on its own (cached: titles and previous sentences recur)."""
        found = self._evidence.get(text)
        if found is None:
            found = self._compute_evidence(text)
            if len(self._evidence) >= _EVIDENCE_CACHE_SIZE:
                self._evidence.clear()
            self._evidence[text] = found
        return found

    def _compute_evidence(self, text: str) -> _Evidence:
        lowered = text.lower()
        fired = self._index.fired(lowered)
        shared = 1.0
        article_factor = 1.0
        for group in self.global_dampers:
            if group.matcher.fires(lowered, fired):
                shared *= group.value
                if group.in_title:
                    article_factor *= group.value
        if lowered.rstrip(_QUOTES_AND_SPACE).endswith("?"):
            shared *= self.question_factor
        missing = [name for name, matcher in self.scopes.items() if not matcher.fires(lowered, fired)]
        scores = []
        for rules in self.rules.values():
            miss = 1.0
            for cue in rules.cues:
                if cue.matcher.fires(lowered, fired):
                    miss *= 1.0 - cue.value
            score = (1.0 - miss) * shared
            if score > 0.0:
                for scope in missing:
                    score *= rules.missing_scope_factors.get(scope, 1.0)
                for damper in rules.dampers:
                    if damper.matcher.fires(lowered, fired):
                        score *= damper.value
            scores.append(score)
        return _Evidence(tuple(scores), shared, article_factor)

    def explain(self, text: str, labels: Sequence[str]) -> dict[str, list[str]]:
        """The sentence's own cue and damper matches per label: ``"0.9: ikrar"``, ``"x0.1: pilkades"``."""
        lowered = text.lower()
        shared = [f"x{g.value:g}: {m.group(0)}" for g in self.global_dampers if (m := g.matcher.search(lowered))]
        shared += [f"missing scope {name}" for name, matcher in self.scopes.items() if not matcher.search(lowered)]
        out: dict[str, list[str]] = {}
        for name in labels:
            rules = self.rules[name]
            hits = [f"{g.value:g}: {m.group(0)}" for g in rules.cues if (m := g.matcher.search(lowered))]
            hits += [f"x{g.value:g}: {m.group(0)}" for g in rules.dampers if (m := g.matcher.search(lowered))]
            out[name] = hits + shared
        return out


# ---------------------------------------------------------------------------------- model
class RulesModel(Model):
    """Lexicon-and-pattern tagger for the ASN labels; needs no training.

    Use :meth:`default` for a ready model with the lexicon's thresholds, or :meth:`fit` to tune
    per-label thresholds on labelled data (training and dev sentences together). Probability
    columns follow ``model.labels.names`` (declaration, warning, violation_report, sanction);
    values are rule scores in [0, 1], ``float32``. Every label of the model's label set must
    have rules in the lexicon.
    """

    kind: ClassVar[str] = "rules"
    config_class: ClassVar[type[Config]] = RulesConfig
    needs_training: ClassVar[bool] = False

    lexicon_: Lexicon

    @classmethod
    def default(cls, config: RulesConfig | None = None, labels: LabelSet | Sequence[str] | None = None) -> RulesModel:
        """A ready model without data: the configured lexicon with its own per-label thresholds."""
        model = cls(config, labels)
        model.lexicon_ = model._configured_lexicon()
        model.thresholds_ = np.array([model.lexicon_.rules[n].threshold for n in model.labels.names], dtype=np.float64)
        model.training_ = {
            "train_size": 0,
            "dev_size": 0,
            "data_sha256": None,
            "seed": model.config.seed,
            "thresholds": "lexicon defaults",
        }
        return model

    def explain(self, text: str) -> dict[str, list[str]]:
        """Which cues, dampers and missing scopes act on ``text`` per label (to debug a lexicon)."""
        self._check_fitted()
        return self.lexicon_.explain(text, self.labels.names)

    def _configured_lexicon(self) -> Lexicon:
        assert isinstance(self.config, RulesConfig)
        path = self.config.lexicon_path
        lexicon = Lexicon.bundled() if path is None else Lexicon.from_file(path)
        missing = lexicon.missing_labels(self.labels)
        if missing:
            raise ConfigError(
                f"{lexicon.source}: no rules for label(s) {missing}; the lexicon covers {list(lexicon.label_names)}"
            )
        return lexicon

    def _fit(self, train: Split, dev: Split | None) -> tuple[np.ndarray, np.ndarray]:
        """Load the lexicon; return scores to tune thresholds on: train and dev together.

        The rules learn nothing from data, so training sentences are as unseen as dev ones and
        using both gives steadier thresholds than dev alone.
        """
        self.lexicon_ = self._configured_lexicon()
        splits = [train] if dev is None else [train, dev]
        y = np.concatenate([split.y for split in splits])
        scores = np.concatenate([self._predict_proba(split.texts, split.context) for split in splits])
        return y, scores

    def _predict_proba(self, texts: list[str], context: list[Context]) -> np.ndarray:
        names = self.labels.names
        scores = np.zeros((len(texts), len(names)), dtype=np.float32)
        for i, (text, around) in enumerate(zip(texts, context, strict=True)):
            scores[i] = self.lexicon_.score(text, names, around)
        return scores

    def _write(self, directory: Path) -> None:
        write_json(directory / LEXICON_FILE, self.lexicon_.data)

    def _read(self, directory: Path, manifest: dict[str, Any]) -> None:
        path = directory / LEXICON_FILE
        lexicon = Lexicon(read_json(path), source=str(path), error=ArtifactIntegrityError)
        if manifest.get("lexicon_sha256") != lexicon.sha256():
            raise ArtifactIntegrityError(f"{path}: lexicon does not match the manifest's lexicon_sha256")
        missing = lexicon.missing_labels(self.labels)
        if missing:
            raise ArtifactIntegrityError(f"{path}: the lexicon has no rules for label(s) {missing}")
        self.lexicon_ = lexicon

    def _manifest_extra(self) -> dict[str, Any]:
        return {"lexicon_sha256": self.lexicon_.sha256()}


__all__ = ["LEXICON_FILE", "LEXICON_FORMAT", "LEXICON_VERSION", "Lexicon", "RulesConfig", "RulesModel"]
