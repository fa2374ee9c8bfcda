"""Label sets and their encoding.

The ASN task has four labels in a fixed order (:data:`LABELS`); other tasks (public benchmarks)
bring their own :class:`LabelSet`. Label order is the column order of every probability matrix.

Three kinds of task share one representation, a 0/1 matrix with one column per label:

- multi-label (``multi_label=True``): an item carries zero or several labels (the ASN task);
- multi-class (``multi_label=False``): an item carries exactly one label (SmSA, EmoT);
- grouped (``groups`` set): the labels fall into groups and an item carries exactly one label of
  each group, i.e. several multi-class choices at once (CASA: six aspects, each negative, neutral
  or positive). :meth:`LabelSet.from_groups` names such labels ``group:value``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from asnclf.errors import LabelError

LABELS: tuple[str, ...] = ("declaration", "warning", "violation_report", "sanction")
"""The four ASN labels, in the fixed column order used everywhere."""

OTHER = "other"
"""Primary label of an article that carries none of the labels."""

PRIMARY_LABELS: tuple[str, ...] = (*LABELS, OTHER)

GROUP_SEPARATOR = ":"
"""Between a group and a value in the label names made by :meth:`LabelSet.from_groups`."""


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of label names.

    Attributes:
        names: label names in column order.
        multi_label: True when an item may carry zero or several labels; False when it carries
            exactly one (multi-class), in which case prediction takes the arg-max.
        groups: optional partition of ``names`` into groups, each one multi-class choice: an item
            carries exactly one label of every group and prediction takes the arg-max within
            each group. A grouped set is multi-label (an item carries one label per group).
    """

    names: tuple[str, ...] = LABELS
    multi_label: bool = True
    groups: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.names:
            raise LabelError("a label set needs at least one label")
        if len(set(self.names)) != len(self.names):
            raise LabelError(f"label names must be unique, got {list(self.names)}")
        for name in self.names:
            if not isinstance(name, str) or not name:
                raise LabelError(f"label names must be non-empty strings, got {name!r}")
        if self.groups:
            groups = tuple(tuple(group) for group in self.groups)
            object.__setattr__(self, "groups", groups)
            if not self.multi_label:
                raise LabelError("a grouped label set is multi-label (one label per group): use multi_label=True")
            flat = [name for group in groups for name in group]
            if sorted(flat) != sorted(self.names) or any(not group for group in groups):
                raise LabelError(
                    f"groups must split the labels {list(self.names)} into non-empty groups, each label in "
                    f"exactly one; got {[list(g) for g in groups]}"
                )

    @classmethod
    def from_groups(cls, groups: Mapping[str, Sequence[str]]) -> LabelSet:
        """A grouped label set: label ``group:value`` for every value of every group.

        Example: ``LabelSet.from_groups({"fuel": ["negative", "neutral", "positive"], ...})``.
        """
        named = tuple(tuple(f"{group}{GROUP_SEPARATOR}{value}" for value in values) for group, values in groups.items())
        return cls(tuple(name for group in named for name in group), multi_label=True, groups=named)

    @property
    def group_names(self) -> tuple[str, ...]:
        """One name per group: the part before ``:`` its labels share, else ``group<i>``."""
        out = []
        for i, group in enumerate(self.groups):
            heads = {name.split(GROUP_SEPARATOR, 1)[0] for name in group}
            out.append(heads.pop() if len(heads) == 1 and GROUP_SEPARATOR in group[0] else f"group{i}")
        return tuple(out)

    def group_columns(self) -> list[np.ndarray]:
        """Column indices of each group (empty list for an ungrouped set)."""
        index = {name: i for i, name in enumerate(self.names)}
        return [np.array([index[name] for name in group]) for group in self.groups]

    def choices(self) -> list[np.ndarray]:
        """The one-of-k choices an item makes: every group, or all columns for a multi-class set.

        Empty for an ungrouped multi-label set.
        """
        if self.groups:
            return self.group_columns()
        return [] if self.multi_label else [np.arange(len(self.names))]

    def value_of(self, name: str) -> str:
        """The class a label stands for across groups (``fuel:positive`` -> ``positive``)."""
        if self.groups and GROUP_SEPARATOR in name:
            return name.split(GROUP_SEPARATOR, 1)[1]
        return name

    def __len__(self) -> int:
        return len(self.names)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"names": list(self.names), "multi_label": self.multi_label}
        if self.groups:
            data["groups"] = [list(group) for group in self.groups]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LabelSet:
        names = data.get("names")
        if not isinstance(names, list):
            raise LabelError(f"label set 'names' must be a list, got {names!r}")
        groups = data.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
            raise LabelError(f"label set 'groups' must be a list of lists of names, got {groups!r}")
        return cls(tuple(str(n) for n in names), bool(data.get("multi_label", True)),
                   tuple(tuple(str(n) for n in g) for g in groups))

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
                not carry exactly one label, or an item of a grouped set does not carry exactly
                one label of every group.
        """
        index = {name: i for i, name in enumerate(self.names)}
        group_columns = self.group_columns()
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
            for name, columns in zip(self.group_names, group_columns):
                if vector[columns].sum() != 1 and not unknown:
                    where = f" in {source}" if source else ""
                    raise LabelError(
                        f"row {row}{where}, field {field!r}: group {name!r} needs exactly one of "
                        f"{[self.names[c] for c in columns]}, got {list(labels)}"
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
