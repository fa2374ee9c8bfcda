"""Label sets and their encoding.

The ASN task has four labels in a fixed order (:data:`LABELS`); other tasks (public benchmarks)
bring their own :class:`LabelSet`. Label order is the column order of every probability matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from asnclf.errors import LabelError

LABELS: tuple[str, ...] = ("declaration", "warning", "violation_report", "sanction")
"""The four ASN labels, in the fixed column order used everywhere."""

OTHER = "other"
"""Primary label of an article that carries none of the labels."""

PRIMARY_LABELS: tuple[str, ...] = (*LABELS, OTHER)


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of label names.

    Attributes:
        names: label names in column order.
        multi_label: True when an item may carry zero or several labels; False when it carries
            exactly one (multi-class), in which case prediction takes the arg-max.
    """

    names: tuple[str, ...] = LABELS
    multi_label: bool = True

    def __post_init__(self) -> None:
        if not self.names:
            raise LabelError("a label set needs at least one label")
        if len(set(self.names)) != len(self.names):
            raise LabelError(f"label names must be unique, got {list(self.names)}")
        for name in self.names:
            if not isinstance(name, str) or not name:
                raise LabelError(f"label names must be non-empty strings, got {name!r}")

    def __len__(self) -> int:
        return len(self.names)

    def to_dict(self) -> dict[str, object]:
        return {"names": list(self.names), "multi_label": self.multi_label}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LabelSet:
        names = data.get("names")
        if not isinstance(names, list):
            raise LabelError(f"label set 'names' must be a list, got {names!r}")
        return cls(tuple(str(n) for n in names), bool(data.get("multi_label", True)))

    def encode(
        self,
        label_lists: Iterable[Iterable[str]],
        *,
        field: str = "labels",
        source: str | None = None,
    ) -> np.ndarray:
        """Turn lists of label names into a 0/1 matrix.

        Args:
            label_lists: one iterable of label names per item.
            field: field name used in error messages.
            source: file or dataset name used in error messages.

        Returns:
            ``int8`` array of shape ``(n_items, len(self))`` in :attr:`names` order.

        Raises:
            LabelError: a name is not in the label set (the message lists the unknown and the
                known labels and the first row where each appears), or a multi-class item does
                not carry exactly one label.
        """
        index = {name: i for i, name in enumerate(self.names)}
        rows: list[np.ndarray] = []
        unknown: dict[str, int] = {}
        for row, labels in enumerate(label_lists):
            if isinstance(labels, str):
                labels = [labels]
            vector = np.zeros(len(self.names), dtype=np.int8)
            for label in labels:
                position = index.get(label) if isinstance(label, str) else None
                if position is None:
                    unknown.setdefault(repr(label), row)
                    continue
                vector[position] = 1
            if not self.multi_label and vector.sum() != 1 and not unknown:
                where = f" in {source}" if source else ""
                raise LabelError(
                    f"row {row}{where}, field {field!r}: a multi-class task needs exactly one "
                    f"label per item, got {list(labels)}"
                )
            rows.append(vector)
        if unknown:
            where = f" in {source}" if source else ""
            found = ", ".join(f"{name} (first at row {row})" for name, row in unknown.items())
            raise LabelError(
                f"unknown label(s){where}, field {field!r}: {found}; "
                f"known labels are {list(self.names)}"
            )
        if not rows:
            return np.zeros((0, len(self.names)), dtype=np.int8)
        return np.stack(rows)

    def decode(self, matrix: np.ndarray) -> list[list[str]]:
        """Turn a 0/1 matrix of shape ``(n, len(self))`` into lists of label names."""
        return [[self.names[j] for j in np.flatnonzero(row)] for row in np.asarray(matrix)]


ASN_LABELS = LabelSet(LABELS, multi_label=True)


def as_label_set(labels: LabelSet | Sequence[str] | None) -> LabelSet:
    """Accept a :class:`LabelSet`, a sequence of names (multi-label) or None (the ASN labels)."""
    if labels is None:
        return ASN_LABELS
    if isinstance(labels, LabelSet):
        return labels
    return LabelSet(tuple(labels), multi_label=True)
