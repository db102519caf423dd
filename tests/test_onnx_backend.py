"""The onnx backend: same token ids and (within the stated cosine) the same vectors as the torch
backend, no torch at serve time, and an index built with one backend is rebuilt for the other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.strings import SPELLED_SPECIALS, varied_strings

from index import ConfigError, Engine, IndexConfig, ModelError, index_config
from index.model.encoder import SentenceEncoder
from index.model.onnx_encoder import OnnxEncoder
from index.model.onnx_export import MIN_COSINE, mean_pooled, prepare_onnx

ROOT = Path(__file__).resolve().parent.parent
XQUAD = ROOT.parent / "shared" / "data" / "xquad"
STORY = ROOT / "corpus" / "durov-telegram.de.txt"


def story_paragraphs() -> list[str]:
    return [p.strip() for p in STORY.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def story_questions() -> list[str]:
    lines = (ROOT / "tests" / "data" / "story_questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


@pytest.fixture(scope="session")
def onnx_folder(e5_config: IndexConfig) -> Path:
    """The shipped export (``onnx_weights`` as configured by default), made once."""
    return prepare_onnx(e5_config)


@pytest.fixture(scope="session")
def onnx_encoder(onnx_folder: Path) -> OnnxEncoder:
    return OnnxEncoder(onnx_folder)


@pytest.mark.model
def test_the_compact_tokenizer_gives_the_models_own_ids(
    onnx_encoder: OnnxEncoder, e5_encoder: SentenceEncoder
) -> None:
    texts = varied_strings() + SPELLED_SPECIALS + story_paragraphs() + story_questions()
    texts += ["", " ", "a ", "  zwei  Leerzeichen  ", "🫠🫠x🫠", "\u2581\u2581"]
    if XQUAD.is_dir():  # the shared benchmark, where present: every German and English question
        for lang in ("de", "en"):
            data = json.loads((XQUAD / f"xquad.{lang}.json").read_text(encoding="utf-8"))
            texts += [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
    assert type(onnx_encoder.tokenizer).__name__ == "CompactTokenizer"
    framed = [prompt + text for text in texts for prompt in ("", "query: ", "passage: ")]
    mismatches = [t for t in framed if onnx_encoder.tokenizer.ids(t) != e5_encoder.token_ids(t, special=True)]
    assert mismatches == []
    some = texts[:50]
    assert [onnx_encoder.count_tokens(t) for t in some] == [e5_encoder.count_tokens(t) for t in some]
    assert onnx_encoder.max_tokens == e5_encoder.max_tokens


@pytest.mark.model
@pytest.mark.parametrize("query", [True, False], ids=["questions", "passages"])
def test_onnx_vectors_match_the_torch_backend_on_the_story(
    onnx_encoder: OnnxEncoder, e5_encoder: SentenceEncoder, query: bool
) -> None:
    texts = story_questions() if query else story_paragraphs()
    ours, theirs = onnx_encoder.encode(texts, query=query), e5_encoder.encode(texts, query=query)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= MIN_COSINE["int8-embedding"], texts[int(cosine.argmin())]


@pytest.mark.model
def test_a_row_does_not_depend_on_its_batch_mates(onnx_encoder: OnnxEncoder) -> None:
    question = "Wo wurde Durov festgenommen?"
    alone = onnx_encoder.encode([question], query=True)[0]
    crowd = [question] + [p[:300] for p in story_paragraphs()] + ["kurz", "Ｔｅｌｅｇｒａｍ " * 200]
    together = onnx_encoder.encode(crowd, query=True)
    assert float(alone @ together[0]) > 0.99999
    assert np.allclose(together[1:3], onnx_encoder.encode(crowd[1:3], query=True), atol=1e-5)


@pytest.mark.model
def test_a_text_past_the_models_length_is_cut_like_the_torch_backend(
    onnx_encoder: OnnxEncoder, e5_encoder: SentenceEncoder
) -> None:
    long = " ".join(story_paragraphs() * 3)
    assert e5_encoder.count_tokens(long) > e5_encoder.max_seq_length
    ours, theirs = onnx_encoder.encode([long], query=False), e5_encoder.encode([long], query=False)
    assert float(ours[0] @ theirs[0]) >= MIN_COSINE["int8-embedding"]


@pytest.mark.model
def test_preparing_again_reuses_the_export(e5_config: IndexConfig, onnx_folder: Path) -> None:
    model = (onnx_folder / "model.onnx").stat()
    assert prepare_onnx(e5_config) == onnx_folder
    assert (onnx_folder / "model.onnx").stat().st_ino == model.st_ino


@pytest.mark.model
def test_serving_on_onnx_loads_neither_torch_nor_sentence_transformers(onnx_folder: Path) -> None:
    cache = str(onnx_folder.parents[1])
    script = (
        "import sys, json\n"
        "from index import index_config\n"
        "from index.model import load_embedder\n"
        f"config = index_config({{'model': 'multilingual-e5-small', 'model_cache': {cache!r}}}, env={{}})\n"
        "vector = load_embedder(config).encode(['Wer ist Durov?'], query=True)\n"
        "heavy = ('torch', 'transformers', 'sentence_transformers')\n"
        "print(json.dumps([vector.shape[1], sorted(m for m in heavy if m in sys.modules)]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [384, []]


@pytest.mark.model
async def test_switching_the_backend_rebuilds_the_index(
    tmp_path: Path, corpus_dir: Path, onnx_encoder: OnnxEncoder, e5_encoder: SentenceEncoder
) -> None:
    config = IndexConfig(corpus_dir=corpus_dir, data_dir=tmp_path / "data")
    assert onnx_encoder.name != e5_encoder.name and "onnx" in onnx_encoder.name
    question = "Wo wurde Durov festgenommen?"
    torch_engine = await Engine.open(config, e5_encoder)
    try:
        assert torch_engine.last_report is not None  # built on first open
        torch_answer = await torch_engine.ask(question)
    finally:
        await torch_engine.close()
    onnx_engine = await Engine.open(config, onnx_encoder)
    try:
        report = onnx_engine.last_report
        assert report is not None and report.cached == 0  # nothing taken from the torch vectors
        assert report.embedded >= report.passages
        onnx_answer = await onnx_engine.ask(question)
    finally:
        await onnx_engine.close()
    again = await Engine.open(config, onnx_encoder)
    try:
        assert again.last_report is None  # same backend: the index is served as it is
    finally:
        await again.close()
    assert [h.passage_id for h in onnx_answer.hits][:1] == [h.passage_id for h in torch_answer.hits][:1]
    assert onnx_answer.outcome == torch_answer.outcome


def test_a_model_without_mean_pooling_is_refused_for_onnx(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]), encoding="utf-8")
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}), encoding="utf-8")
    with pytest.raises(ModelError, match="use backend = torch"):
        mean_pooled(tmp_path)


def test_a_folder_without_modules_is_refused_for_onnx(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the modules"):
        mean_pooled(tmp_path)


def test_the_backend_setting_is_checked_and_the_environment_overrides_it() -> None:
    assert index_config({}, env={}).backend == "onnx"
    assert index_config({"backend": "onnx"}, env={"EMBEDDING_BACKEND": "torch"}).backend == "torch"
    with pytest.raises(ConfigError, match=r"\[index\] backend"):
        index_config({"backend": "tensorflow"}, env={})
    with pytest.raises(ConfigError, match="EMBEDDING_BACKEND"):
        index_config({}, env={"EMBEDDING_BACKEND": "gpu"})
    with pytest.raises(ConfigError, match=r"\[index\] onnx_weights"):
        index_config({"onnx_weights": "int4"}, env={})
    with pytest.raises(ConfigError, match="EMBEDDING_THREADS"):
        index_config({}, env={"EMBEDDING_THREADS": "-1"})
