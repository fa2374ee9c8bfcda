"""The rules model: codebook examples, the model contract, the lexicon format, and the dev floor."""

from __future__ import annotations

import copy
import json
import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from asnclf.artifacts import MANIFEST
from asnclf.corpus import load_articles, sentence_rows
from asnclf.errors import ArtifactError, ConfigError, NotFittedError
from asnclf.labels import LABELS
from asnclf.models import load_model, model_class
from asnclf.models.base import Context
from asnclf.models.rules import LEXICON_FILE, Lexicon, RulesConfig, RulesModel

DEV_MACRO_F1_FLOOR = 0.82
"""Measured 0.851 on the dev split with contexts and the lexicon's default thresholds (0.5)."""

DEV_MACRO_F1_FLOOR_NO_CONTEXT = 0.72
"""Measured 0.749 on the dev split scored sentence by sentence, same thresholds."""


@pytest.fixture(scope="module")
def model() -> RulesModel:
    """The default rules model (bundled lexicon, its own thresholds); do not mutate."""
    return RulesModel.default()


@pytest.fixture(scope="module")
def lexicon_data() -> dict:
    return copy.deepcopy(Lexicon.bundled().data)


def labels_of(model: RulesModel, text: str, context: Context | None = None) -> set[str]:
    row = model.predict([text], context=None if context is None else [context])[0]
    return {name for name, on in zip(model.labels.names, row, strict=True) if on}


# ----------------------------------------------------------------------------- codebook
CODEBOOK_EXAMPLES = [
    # declaration
    ("Ratusan ASN Pemkab Contoh membacakan ikrar netralitas di halaman kantor bupati, Senin.", {"declaration"}),
    ("Dalam deklarasi itu, para camat berjanji tidak menghadiri kampanye pasangan calon.", {"declaration"}),
    ("Bupati meminta seluruh ASN menjaga netralitas.", {"warning"}),
    ("Pemkot mendukung penuh penyelenggaraan pemilu.", set()),
    # warning
    ("Bawaslu mengimbau ASN tidak mengunggah foto bersama calon di media sosial.", {"warning"}),
    ("ASN dilarang menghadiri kegiatan kampanye, meskipun di luar jam kerja.", {"warning"}),
    (
        "Jika terbukti melanggar, ASN dapat dijatuhi hukuman disiplin berat hingga pemberhentian.",
        {"warning", "sanction"},
    ),
    ("Netralitas ASN adalah wujud profesionalisme.", set()),
    # violation_report
    ("Bawaslu Kabupaten Contoh menerima laporan dugaan seorang kepala sekolah ikut berkampanye.", {"violation_report"}),
    ("Sejauh ini 12 ASN telah dilaporkan ke BKN atas dugaan pelanggaran netralitas.", {"violation_report"}),
    ("Hingga kini belum ada temuan pelanggaran netralitas ASN di kota tersebut.", {"violation_report"}),
    ("Potensi pelanggaran pada masa kampanye sangat tinggi.", set()),
    # sanction
    ("BKN menjatuhkan sanksi penundaan kenaikan pangkat kepada dua ASN tersebut.", {"sanction"}),
    ("Sanksi atas pelanggaran netralitas berjenjang, mulai teguran lisan hingga pemberhentian.", {"sanction"}),
    ("Kami tidak akan memberi toleransi kepada ASN yang berpolitik praktis.", {"warning"}),
    # borderline decisions (v1.1 to v1.3)
    ("Pemkot memastikan seluruh ASN netral.", set()),
    ("Kami tidak ingin ada pelanggaran netralitas ASN selama pilkada.", {"warning"}),
    ("Bawaslu mengajak masyarakat melaporkan ASN yang tidak netral.", set()),
    ("Bupati mengimbau ASN menjaga netralitas dalam pilkades serentak.", set()),
    ("Para ASN menyatakan siap menerima sanksi bila melanggar netralitas.", {"declaration", "sanction"}),
    ("Sejumlah kepala desa menggelar deklarasi dukungan untuk salah satu pasangan calon.", {"violation_report"}),
    ("Pasal 494 mengatur ancaman pidana bagi ASN yang terlibat kampanye.", {"sanction"}),
    ("Guru itu membuat surat pernyataan tidak mengulangi perbuatannya.", {"violation_report"}),
    ("Apa sanksi bagi ASN yang tidak netral?", set()),
    ("Baca juga: Bawaslu imbau ASN netral", set()),
    ("Seluruh ASN berikrar antinarkoba di halaman kantor bupati.", set()),
    ("KPU meminta KPPS bersikap netral saat pemungutan suara.", set()),
    ("ASN yang mencalonkan diri wajib mengundurkan diri.", {"warning"}),
    ("Hukuman disiplin dijatuhkan karena pegawai itu bolos kerja selama sebulan.", set()),
    ("Seorang keuchik dilaporkan ke Panwaslih karena ikut kampanye caleg.", {"violation_report"}),
]


@pytest.mark.parametrize(("text", "expected"), CODEBOOK_EXAMPLES, ids=[t[:40] for t, _ in CODEBOOK_EXAMPLES])
def test_rules_codebook_examples(model, text, expected):
    assert labels_of(model, text) == expected, model.explain(text)


def test_rules_context_follows_codebook_scope_and_case_stories(model):
    warning = "Bupati mengingatkan ASN agar tidak ikut berkampanye."
    assert labels_of(model, warning) == {"warning"}
    # the scope rule wins over the labels: a textbook warning in a pilkades story is none
    pilkades = Context("", "Pilkades Serentak Digelar di 37 Desa, Bupati Ingatkan ASN")
    assert labels_of(model, warning, pilkades) == set()
    # a weak fact inside a case story inherits the story's violation_report evidence
    fact = "Ketiganya merupakan guru sekolah dasar di kecamatan itu."
    case = Context(
        "Bawaslu menerima laporan dugaan tiga guru PNS ikut berkampanye.",
        "Tiga Guru PNS Dilaporkan ke Bawaslu karena Ikut Kampanye",
    )
    alone = model.predict_proba([fact])[0, LABELS.index("violation_report")]
    in_story = model.predict_proba([fact], context=[case])[0, LABELS.index("violation_report")]
    assert in_story > alone
    assert "violation_report" in labels_of(model, fact, case)
    # a comment on one specific declaration's value is a declaration (decisions v1.1 to v1.3)
    pledge = Context(
        "Ikrar dibacakan serentak oleh seluruh peserta apel.", "Ribuan ASN Ikrarkan Netralitas Jelang Pilkada"
    )
    assert labels_of(model, "Ikrar ini bukan sekadar seremoni.", pledge) == {"declaration"}


# ----------------------------------------------------------------------------- contract
def test_rules_predict_proba_shape_dtype_and_label_order(model):
    texts = [text for text, _ in CODEBOOK_EXAMPLES[:15]]
    probs = model.predict_proba(texts)
    assert probs.shape == (len(texts), 4) and probs.dtype == np.float32
    assert model.labels.names == LABELS
    assert ((probs >= 0) & (probs <= 1)).all()
    # column j is label j: each single-label example has its highest score in its own column
    for (text, expected), row in zip(CODEBOOK_EXAMPLES[:15], probs, strict=True):
        if len(expected) == 1:
            assert LABELS[int(row.argmax())] in expected, text


@pytest.mark.parametrize("empty", ["", " ", "\n\t  ", "\u3000"])
def test_rules_empty_text_gives_all_zero_rows(model, empty):
    probs = model.predict_proba([CODEBOOK_EXAMPLES[0][0], empty, CODEBOOK_EXAMPLES[4][0]])
    assert probs[1].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert probs[0].max() > 0.5 and probs[2].max() > 0.5
    assert model.predict([empty]).tolist() == [[0, 0, 0, 0]]


@pytest.fixture(scope="module")
def dev_rows() -> list[dict]:
    return sentence_rows(load_articles("dev"))


def test_rules_batch_and_one_by_one_are_identical(model, dev_rows):
    rows = dev_rows[:120]
    texts = [r["text"] for r in rows]
    context = [Context(r["previous"], r["title"]) for r in rows]
    whole = model.predict_proba(texts, context=context)
    fresh = RulesModel.default()  # empty caches: results never depend on what was scored before
    one_by_one = np.concatenate([fresh.predict_proba([t], context=[c]) for t, c in zip(texts, context, strict=True)])
    assert one_by_one.tobytes() == whole.tobytes()


def test_rules_permuted_input_gives_permuted_output(model, dev_rows):
    rows = dev_rows[:120]
    texts = [r["text"] for r in rows]
    context = [Context(r["previous"], r["title"]) for r in rows]
    whole = model.predict_proba(texts, context=context)
    order = np.random.default_rng(0).permutation(len(texts))
    permuted = model.predict_proba([texts[i] for i in order], context=[context[i] for i in order])
    assert permuted.tobytes() == whole[order].tobytes()


def test_rules_save_load_gives_identical_probabilities(model, dev_rows, tmp_path):
    texts = [r["text"] for r in dev_rows[:80]]
    context = [Context(r["previous"], r["title"]) for r in dev_rows[:80]]
    directory = model.save(tmp_path / "rules")
    assert sorted(p.name for p in directory.iterdir()) == sorted([MANIFEST, LEXICON_FILE])
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["kind"] == "rules" and manifest["lexicon_sha256"] == model.lexicon_.sha256()
    for loaded in (RulesModel.load(directory), load_model(directory)):
        assert isinstance(loaded, RulesModel)
        np.testing.assert_array_equal(loaded.thresholds_, model.thresholds_)
        assert (
            loaded.predict_proba(texts, context=context).tobytes()
            == model.predict_proba(texts, context=context).tobytes()
        )
        assert loaded.predict_proba(texts).tobytes() == model.predict_proba(texts).tobytes()


def test_rules_saved_model_carries_its_own_lexicon(lexicon_data, tmp_path):
    data = copy.deepcopy(lexicon_data)
    data["labels"]["warning"]["cues"].insert(0, {"weight": 0.95, "patterns": ["awas"]})
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    custom = RulesModel.default(RulesConfig(lexicon_path=str(path)))
    text = "Awas, ASN jangan berkampanye di media sosial."
    before = custom.predict_proba([text])
    directory = custom.save(tmp_path / "model")
    path.unlink()  # the artifact must not depend on the source file
    loaded = load_model(directory)
    assert loaded.predict_proba([text]).tobytes() == before.tobytes()
    assert loaded.explain(text)["warning"][0] == "0.95: awas"


def test_rules_tampered_lexicon_is_refused(model, tmp_path):
    directory = model.save(tmp_path / "rules")
    lexicon = directory / LEXICON_FILE
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace('"weight": 0.9', '"weight": 0.1', 1), encoding="utf-8"
    )
    with pytest.raises(ArtifactError):
        RulesModel.load(directory)


def test_rules_fitted_state(dev_rows):
    """``RulesModel()`` is unfitted; ``default()`` and ``fit`` on any data make it usable."""
    unfitted = RulesModel()
    assert model_class("rules") is RulesModel and not RulesModel.needs_training
    with pytest.raises(NotFittedError):
        unfitted.predict_proba(["ASN dilarang berkampanye."])
    with pytest.raises(NotFittedError):
        unfitted.save("unused")

    default = RulesModel.default()
    np.testing.assert_array_equal(default.thresholds_, [default.lexicon_.rules[n].threshold for n in LABELS])

    one = RulesModel().fit(["ASN dilarang berkampanye."], [["warning"]])
    assert one.is_fitted and one.predict(["ASN dilarang berkampanye."])[0].tolist() == [0, 1, 0, 0]

    texts = [r["text"] for r in dev_rows]
    labels = [r["labels"] for r in dev_rows]
    context = [Context(r["previous"], r["title"]) for r in dev_rows]
    tuned = RulesModel().fit(texts[:5], labels[:5], dev_texts=texts, dev_labels=labels, dev_context=context)
    assert tuned.training_["dev_size"] == len(texts) and tuned.thresholds_.shape == (4,)
    # fit only chooses thresholds: the scores are the default model's
    assert (
        tuned.predict_proba(texts[:50], context=context[:50]).tobytes()
        == default.predict_proba(texts[:50], context=context[:50]).tobytes()
    )


def test_rules_label_subset_and_unknown_labels(model):
    text = "Jika terbukti melanggar, ASN dapat dijatuhi hukuman disiplin berat hingga pemberhentian."
    subset = RulesModel.default(labels=["sanction", "warning"])
    full = model.predict_proba([text])[0]
    np.testing.assert_array_equal(subset.predict_proba([text])[0], full[[3, 1]])
    with pytest.raises(ConfigError, match="no rules for label"):
        RulesModel.default(labels=["declaration", "praise"])


def test_rules_explain_names_the_cues(model):
    explanation = model.explain("Pemkab menjatuhkan sanksi teguran tertulis kepada camat itu.")
    assert set(explanation) == set(LABELS)
    assert any("sanksi" in hit for hit in explanation["sanction"])


def test_rules_dev_macro_f1_floor(model, dev_rows):
    texts = [r["text"] for r in dev_rows]
    y = model.labels.encode([r["labels"] for r in dev_rows])
    with_context = model.predict(texts, context=[Context(r["previous"], r["title"]) for r in dev_rows])
    assert f1_score(y, with_context, average="macro") >= DEV_MACRO_F1_FLOOR
    alone = model.predict(texts)
    assert f1_score(y, alone, average="macro") >= DEV_MACRO_F1_FLOOR_NO_CONTEXT


# ----------------------------------------------------------------------------- lexicon format
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "not an asnclf rules lexicon"),
        (lambda d: d.update(version=99), "version 99 is not supported"),
        (lambda d: d["labels"]["warning"]["cues"][0]["patterns"].append("(unclosed"), "invalid regular expression"),
        (lambda d: d["labels"]["warning"]["cues"][0]["patterns"].append("(?:x)?"), "matches empty text"),
        (lambda d: d["labels"]["warning"]["cues"][0].update(weight=1.5), r"expected a number in \[0, 1\]"),
        (lambda d: d["labels"]["warning"].update(missing_scope_factors={"planet": 0.5}), "keyed by scope names"),
        (lambda d: d["labels"]["sanction"].update(context={"next": 0.5}), "'title' and/or 'previous'"),
        (lambda d: d["global_dampers"][0].update(in_title="yes"), "expected true/false"),
    ],
)
def test_rules_malformed_lexicon_is_a_config_error(lexicon_data, change, message):
    data = copy.deepcopy(lexicon_data)
    change(data)
    with pytest.raises(ConfigError, match=message):
        Lexicon(data, source="test.json")


def test_rules_lexicon_path_errors_name_the_file(tmp_path):
    missing = tmp_path / "absent.json"
    with pytest.raises(ConfigError, match=r"absent\.json"):
        RulesModel.default(RulesConfig(lexicon_path=str(missing)))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.json"):
        RulesModel(RulesConfig(lexicon_path=str(broken))).fit(["ASN dilarang berkampanye."], [["warning"]])
    with pytest.raises(ConfigError):
        RulesConfig(lexicon_path="")


# ----------------------------------------------------------------------------- matching
WORDS = """
    asn ikrar berikrar mengikrarkan dilaporkan laporan laporannya sanksi disanksi dilarang larangan
    mengimbau imbauan tidak boleh netral netralitas kepala desa hukuman disiplin teguran tertulis
    pemberhentian diberhentikan kampanye pilkades dugaan pelanggaran 12 kasus jika terbukti
    melanggar dapat dijatuhi belum ada temuan foto: baca juga: deklarasi dukungan pakta integritas
    menandatangani pegawai pemilu thr lebaran kpid editor: (rdk) bagikan korupsi apakah ?
""".split()


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14), st.sampled_from([" ", "  ", "\n", ", "]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rules_fast_matching_agrees_with_plain_regular_expressions(lexicon_data, words, separator):
    """The anchor index and spelled-out prefixes are an optimisation: same answers as one regex."""
    lexicon = _cached_lexicon(lexicon_data)
    text = separator.join(words)
    lowered = text.lower()
    fired = lexicon._index.fired(lowered)
    matchers = [*lexicon.scopes.values(), *(g.matcher for g in lexicon.global_dampers)]
    for rules in lexicon.rules.values():
        matchers += [g.matcher for g in (*rules.cues, *rules.dampers)]
    for matcher in matchers:
        plain = _plain_regex(matcher.key, lexicon_data)
        assert matcher.fires(lowered, fired) == bool(plain.search(lowered)), (matcher.key, text)


_CACHE: dict[str, object] = {}


def _cached_lexicon(data: dict) -> Lexicon:
    if "lexicon" not in _CACHE:
        _CACHE["lexicon"] = Lexicon(data, source="test")
    return _CACHE["lexicon"]  # type: ignore[return-value]


def _plain_regex(key: str, data: dict) -> re.Pattern[str]:
    """The documented semantics: one case-insensitive whole-word alternation of the patterns."""
    if key not in _CACHE:
        if scope := re.fullmatch(r"test: scopes\.(\w+)", key):
            patterns = data["scopes"][scope[1]]
        elif damper := re.fullmatch(r"test: global_dampers\[(\d+)\]", key):
            patterns = data["global_dampers"][int(damper[1])]["patterns"]
        else:
            where = re.fullmatch(r"test: labels\.(\w+)\.(cues|dampers)\[(\d+)\]", key)
            assert where is not None, key
            patterns = data["labels"][where[1]][where[2]][int(where[3])]["patterns"]
        alternation = "|".join("(?:" + p.replace(" ", r"\s+") + ")" for p in patterns)
        _CACHE[key] = re.compile(rf"(?<!\w)(?:{alternation})(?:nya|lah|kah|pun)?(?!\w)", re.IGNORECASE | re.ASCII)
    return _CACHE[key]  # type: ignore[return-value]


@given(st.text(st.characters(categories=["L", "N", "P", "Z", "S", "Cc", "Cs"]), max_size=300))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rules_any_text_gets_a_defined_score(model, text):
    probs = model.predict_proba([text], context=[Context(text, text)])
    assert probs.shape == (1, 4) and np.isfinite(probs).all() and ((probs >= 0) & (probs <= 1)).all()


def test_rules_long_and_repetitive_text_stays_fast(model):
    nasty = ["a" * 20_000, ("kepala " * 3000), ("tidak " * 2000) + "netral", "ikrar" + " " * 5000 + "netralitas"]
    started = time.perf_counter()
    probs = model.predict_proba(nasty)
    assert probs.shape == (4, 4)
    # A catastrophically backtracking pattern would take minutes here, not seconds.
    assert time.perf_counter() - started < 30.0
