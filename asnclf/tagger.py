"""Tagging articles: split into sentences, score them in batches, aggregate, keep the evidence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from asnclf.errors import InputError
from asnclf.labels import OTHER, LabelSet
from asnclf.models.base import Context, ContextLike, Model, clean_context
from asnclf.validation import ARTICLE_MAX_CHARS, CleanText, clean_text, clean_texts


@dataclass(frozen=True)
class SentenceTags:
    """One sentence of a tagged article.

    Attributes:
        text: the sentence, exactly ``article[start:end]``.
        start, end: character span in the article text given to :meth:`Tagger.tag`.
        labels: labels whose score reached the model's sentence threshold.
        scores: per-label probability, in label order.
        is_title: True for the article's first line when it stands alone as a title.
    """

    text: str
    start: int
    end: int
    labels: list[str]
    scores: dict[str, float]
    is_title: bool = False


@dataclass(frozen=True)
class ArticleTags:
    """The result of tagging one article.

    Attributes:
        labels: article labels (label order).
        primary: the label that best describes the article, or ``other``.
        scores: per-label article score (the highest sentence score).
        sentences: every sentence with its labels, scores and span.
        empty: True when the text held nothing to tag.
        truncated: True when the article was longer than the limit and only its start was tagged.
    """

    labels: list[str]
    primary: str
    scores: dict[str, float]
    sentences: list[SentenceTags] = field(default_factory=list)
    empty: bool = False
    truncated: bool = False

    @property
    def evidence(self) -> list[SentenceTags]:
        """The sentences that carry at least one label."""
        return [s for s in self.sentences if s.labels]

    def to_dict(self, *, sentences: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not sentences:
            data.pop("sentences")
        return data


class Tagger:
    """Tags sentences and articles with a model.

    Args:
        model: a fitted model of any kind.
        batch_size: sentences scored per model call.
    """

    def __init__(self, model: Model, *, batch_size: int = 256) -> None:
        if not model.is_fitted:
            raise InputError("the tagger needs a fitted model")
        self.model = model
        self.batch_size = batch_size
        self.aggregator = model.article_aggregator()

    @property
    def labels(self) -> LabelSet:
        return self.model.labels

    def describe(self) -> dict[str, Any]:
        info = self.model.describe()
        info["article_thresholds"] = [round(float(t), 4) for t in self.aggregator.thresholds]
        info["article_rule"] = "tuned" if self.model.aggregator_ is not None else "default"
        return info

    def predict_proba(self, texts: Sequence[object], *, context: ContextLike = None) -> np.ndarray:
        """Sentence probabilities, ``(n, k)`` in label order.

        Args:
            texts: sentences.
            context: per sentence, its :class:`~asnclf.models.base.Context` (previous sentence,
                title); without it each sentence is scored on its own.
        """
        cleaned = clean_texts(texts, max_chars=self.model.max_chars)
        return self._score(cleaned, clean_context(context, len(cleaned)))

    def predict(self, texts: Sequence[object], *, context: ContextLike = None) -> np.ndarray:
        """Sentence decisions, ``(n, k)`` 0/1 in label order."""
        return self.model.decide(self.predict_proba(texts, context=context))

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Sentence decisions for a probability matrix, with the model's thresholds."""
        return self.model.decide(probabilities)

    def tag(self, text: object) -> ArticleTags:
        """Tag one article (title on the first line, then the body)."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Iterable[object], *, progress: bool = False) -> list[ArticleTags]:
        """Tag many articles; sentences of all of them are scored together in batches."""
        if isinstance(texts, (str, bytes)):
            raise InputError("tag_many expects a sequence of articles; use tag() for one article")
        return self._tag_clean(clean_texts(texts, max_chars=ARTICLE_MAX_CHARS), progress=progress)

    def iter_tag(self, texts: Iterable[object], *, chunk_size: int = 64) -> Iterator[ArticleTags]:
        """Tag a stream of articles in chunks, in constant memory."""
        if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable):
            raise InputError(f"iter_tag expects an iterable of articles, got a {type(texts).__name__}")
        chunk: list[CleanText] = []
        for i, text in enumerate(texts):
            chunk.append(clean_text(text, row=i, max_chars=ARTICLE_MAX_CHARS))
            if len(chunk) == chunk_size:
                yield from self._tag_clean(chunk)
                chunk = []
        if chunk:
            yield from self._tag_clean(chunk)

    # ------------------------------------------------------------------ internals
    def _score(
        self, cleaned: Sequence[CleanText], context: Sequence[Context] | None = None, progress: bool = False
    ) -> np.ndarray:
        k = len(self.labels)
        out = np.zeros((len(cleaned), k), dtype=np.float32)
        starts = range(0, len(cleaned), self.batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="scoring", unit="batch")
        for start in starts:
            stop = start + self.batch_size
            out[start:stop] = self.model.predict_proba_clean(
                cleaned[start:stop], None if context is None else context[start:stop]
            )
        return out

    def _tag_clean(self, articles: Sequence[CleanText], progress: bool = False) -> list[ArticleTags]:
        from asnclf.segment import split_sentences

        names = self.labels.names
        spans, units, contexts, has_title = [], [], [], []
        for article in articles:
            sentences = [] if article.empty else split_sentences(article.text)
            spans.append(sentences)
            titled = _first_line_is_title(article.text, sentences)
            has_title.append(titled)
            title = sentences[0].text if titled else ""
            cleaned = [clean_text(s.text, max_chars=self.model.max_chars) for s in sentences]
            units.extend(cleaned)
            contexts.extend(Context(cleaned[i - 1].text if i else "", title) for i in range(len(cleaned)))
        probs = self._score(units, contexts, progress=progress)
        thresholds = self.model.thresholds_
        assert thresholds is not None
        decided = self.model.decide(probs)
        results, offset = [], 0
        for article, sentences, title in zip(articles, spans, has_title):
            if not sentences:
                results.append(ArticleTags([], OTHER, dict.fromkeys(names, 0.0), [], True, article.truncated))
                continue
            p = probs[offset : offset + len(sentences)]
            d = decided[offset : offset + len(sentences)]
            offset += len(sentences)
            scores, labels, primary = self.aggregator.decide(p, thresholds, title)
            tagged = [
                SentenceTags(
                    s.text,
                    s.start,
                    s.end,
                    [names[j] for j in np.flatnonzero(row)],
                    {n: round(float(v), 6) for n, v in zip(names, probs_row)},
                    title and i == 0,
                )
                for i, (s, row, probs_row) in enumerate(zip(sentences, d, p))
            ]
            results.append(
                ArticleTags(
                    [names[j] for j in np.flatnonzero(labels)],
                    primary,
                    {n: round(float(v), 6) for n, v in zip(names, scores)},
                    tagged,
                    False,
                    article.truncated,
                )
            )
        return results


def _first_line_is_title(text: str, sentences: Sequence[Any]) -> bool:
    """The first sentence is a title when it is the whole first line of a multi-line text."""
    if len(sentences) < 2:
        return False
    first_break = text.find("\n")
    return first_break != -1 and sentences[0].end <= first_break and sentences[1].start > first_break
