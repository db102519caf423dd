"""The benchmark's code paths on tiny inputs with the fake embedder (no timings are checked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.fakes import FakeEmbedder

from bench import floor, latency, scale, throughput, workload
from bench.report import Report, percentile
from bot.settings import BotSettings
from index import Engine, IndexConfig

QUESTIONS = [("Was sagt Durov über Kriminelle?", "de"), ("Who is Pavel Durov?", "en")]


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0], 100) == 2.0


@pytest.mark.parametrize(("text", "size"), [("10k", 10_000), ("1m", 1_000_000), ("250", 250)])
def test_scale_sizes_parse(text: str, size: int) -> None:
    assert scale.parse_size(text) == size


def test_bad_scale_size_is_named() -> None:
    with pytest.raises(ValueError, match="10x"):
        scale.parse_size("10x")


async def test_latency_and_floor_rows_come_from_answers(engine: Engine) -> None:
    result = await latency.measure(engine, QUESTIONS, n=6)
    report = Report()
    latency.section(report, result, floor.section(report, result.floor))
    assert len(result.totals) == len(result.floor) == 6
    assert {name: len(values) for name, values in result.stages.items()} == dict.fromkeys(latency.STAGES, 6)
    table = report.render()
    assert "answer p50" in table and "stage render" in table and "encode 1 question" in table


async def test_simulated_users_each_get_a_reply_through_the_application(
    engine_config: IndexConfig, fake_embedder: FakeEmbedder
) -> None:
    await (await Engine.open(engine_config, fake_embedder)).close()  # build the index once
    settings = BotSettings(index=engine_config, token="123456:bench", questions_per_minute=10**6)
    loads = await throughput.measure(settings, fake_embedder, QUESTIONS, (1, 3), 0.3, rate_limit=False)
    assert [load.users for load in loads] == [1, 3]
    for load in loads:
        assert load.latencies and load.unanswered == 0 and load.errors == 0
    report = Report()
    throughput.section(report, loads, limited=None, target_users=3)
    assert ">= 200 answers/s" in report.render()
    compared = Report()
    throughput.section(compared, loads, limited=None, target_users=3, reference=loads[0])
    ratio = loads[1].rate / loads[0].rate
    assert ">= 2 x torch" in compared.render() and f"{ratio:.2f} x torch's" in compared.render()


def test_the_backend_comparison_alternates_both_embedders_and_reports_fidelity() -> None:
    shipped, reference = FakeEmbedder(), FakeEmbedder()
    report = Report()
    ratio = floor.versus(report, shipped, reference, [q for q, _ in QUESTIONS], blocks=2, per_block=3)
    assert ratio > 0
    floor.fidelity(report, shipped, reference)
    table = report.render()
    assert "shipped backend" in table and "torch float32" in table
    assert "cosine to torch float32: story paragraphs" in table and "min 1.00000" in table


def test_synthetic_corpus_has_the_asked_number_of_paragraphs(tmp_path: Path) -> None:
    documents = workload.write_corpus(tmp_path, 1203)
    texts = sorted(tmp_path.glob("synthetic-*.txt"))
    assert documents == len(texts) == 3
    assert sum(len(p.read_text(encoding="utf-8").strip().split("\n\n")) for p in texts) == 1203


def test_scale_vectors_are_unit_length_and_reproducible() -> None:
    first, again = scale.vectors(500, "lowrank"), scale.vectors(500, "lowrank")
    assert (first == again).all()
    assert abs(float((first * first).sum(axis=1).mean()) - 1.0) < 1e-5


def test_a_scale_run_scores_sentences_from_a_float16_file_it_maps(tmp_path: Path) -> None:
    built = scale.build(500, "flat", tmp_path, "lowrank")
    served = scale.serve(500, "flat", tmp_path, "lowrank")
    sentences = np.load(tmp_path / "500-sentences.npy", mmap_mode="r")
    assert built["bytes"] > 0 and served["runs"][0]["recall"] == 1.0
    assert sentences.dtype == np.float16 and sentences.shape == (500 * scale.SENTENCES, scale.DIM)
    assert served["rss_after"] > 0
