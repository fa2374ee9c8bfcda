"""A tiny random BERT with a word-piece vocabulary, built offline from a config."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from asnclf.corpus import load_articles, sentence_rows


def build_tiny_bert(directory: Path, *, vocab_size: int = 1500, seed: int = 0) -> Path:
    """Write a 2-layer, 32-wide random BERT and its tokenizer into ``directory``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    words = Counter()
    for row in sentence_rows(load_articles("dev")):
        words.update(re.findall(r"\w+|[^\w\s]", row["text"].lower()))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    characters = sorted({c for w in words for c in w})
    pieces = [w for w, _ in words.most_common(vocab_size)]
    vocab = specials + characters + [f"##{c}" for c in characters] + [p for p in pieces if p not in characters]
    ids = {piece: i for i, piece in enumerate(dict.fromkeys(vocab))}
    backend = Tokenizer(models.WordPiece(vocab=ids, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    tokenizer.save_pretrained(directory)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        pad_token_id=0,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(directory, safe_serialization=True)
    return directory
