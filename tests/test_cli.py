"""``python -m index build`` and ``search --jsonl`` as a user runs them (with the fake embedder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from index.chunking import paragraph_spans

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "support" / "indexrun.py"  # ``python -m index`` with the fake embedder


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, str(RUNNER), *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env=env, timeout=120, check=False,
    )


def test_build_then_search_jsonl_answers_each_line(tmp_path: Path, corpus_dir: Path) -> None:
    data = tmp_path / "data"
    built = _run("build", "--corpus", str(corpus_dir), "--data", str(data))
    assert built.returncode == 0, built.stderr
    assert "1 documents" in built.stdout and "1 added" in built.stdout
    again = _run("build", "--corpus", str(corpus_dir), "--data", str(data))
    assert "0 texts embedded" in again.stdout

    text = (corpus_dir / "durov-telegram.de.txt").read_text(encoding="utf-8")
    start, end = paragraph_spans(text)[2]
    questions = f"{text[start:end]}\n\nWie wird das Wetter morgen?\n"
    found = _run("search", "--corpus", str(corpus_dir), "--data", str(data), "--k", "2", "--jsonl",
                 stdin=questions)
    assert found.returncode == 0, found.stderr
    lines = [json.loads(line) for line in found.stdout.splitlines()]
    assert [line["question"] for line in lines] == [text[start:end], "Wie wird das Wetter morgen?"]
    copied, weather = lines
    assert copied["answered"] and not weather["answered"]
    top = copied["hits"][0]
    assert set(top) >= {"doc", "title", "paragraph", "text", "highlight", "score", "source"}
    assert (top["doc"], top["paragraph"], top["text"]) == ("durov-telegram.de", 3, text[start:end])
    highlight = top["highlight"]
    assert top["text"][highlight["start"] : highlight["end"]] == highlight["text"]
    assert top["source"] == {"name": "SeaPRwire", "url": "https://www.seaprwire.com/"}
    assert len(weather["hits"]) == 2


def test_search_without_jsonl_prints_readable_answers(tmp_path: Path, corpus_dir: Path) -> None:
    found = _run("search", "--corpus", str(corpus_dir), "--data", str(tmp_path / "data"),
                 stdin="Wer hat Durov festgenommen?\n")
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("? Wer hat Durov festgenommen?")
    assert "paragraph" in found.stdout and "SeaPRwire" in found.stdout


def test_a_missing_corpus_folder_is_reported_not_raised(tmp_path: Path) -> None:
    failed = _run("build", "--corpus", str(tmp_path / "nowhere"), "--data", str(tmp_path / "data"))
    assert failed.returncode == 1
    assert "corpus folder not found" in failed.stderr
    assert "Traceback" not in failed.stderr
