"""Tokenizers for the ONNX backend, which reads token ids without transformers or torch.

``CompactTokenizer`` serves the converted multilingual-e5-small. Its ``tokenizer.json`` loads into
about 275 MB (a Unigram trie over 250,002 pieces); the same pieces and scores as a SentencePiece
model load into about 50 MB and give the same ids:

- the per-codepoint normalization (``char_map.py``), then runs of spaces collapsed to one;
- a space prepended unless the text starts with one (the ``Metaspace`` step);
- SentencePiece's Viterbi over the pieces, with normalization, dummy prefix and whitespace
  removal switched off, since the steps above did them;
- SentencePiece fuses a run of unknown characters into one ``<unk>``; the converted tokenizer
  gives each character that occurs in no piece an ``<unk>`` of its own (its ``Split`` step), so
  such runs are split again;
- ``<s> … </s>`` around the ids.

A text that spells a special token (``<s>``, ``</s>``, …) goes through the full ``tokenizer.json``
instead, loaded on first need. Known residual: an exact tie between two segmentations' scores
(about one text in 10,000 of random Arabic and Thai) may be broken the other way.

``JsonTokenizer`` serves any other model: its own ``tokenizer.json`` through ``tokenizers``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from .char_map import CharMap, char_map_of

SPM_FILE = "tokenizer.spm"
MAP_FILE = "char_map.json"
KNOWN_FILE = "known_chars.txt"
FULL_FILE = "tokenizer.json"
_SPACES = re.compile(" {2,}")


class TextTokenizer(Protocol):
    pad_id: int

    def ids(self, text: str) -> list[int]:
        """The token ids of ``text``, framed by the model's special tokens."""
        ...


class JsonTokenizer:
    """A ``tokenizer.json`` through ``tokenizers``, without padding or truncation."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        padding = json.loads(path.read_text(encoding="utf-8")).get("padding") or {}
        named = [self._tokenizer.token_to_id(t) for t in ("<pad>", "[PAD]")]
        pad = padding.get("pad_id", next((i for i in named if i is not None), 0))
        self.pad_id = int(pad)

    def ids(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text).ids)


def write_compact(full: Path, target: Path) -> None:
    """Write the compact form of the converted e5 tokenizer at ``full`` into the folder ``target``."""
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import Tokenizer

    pb: Any = sentencepiece_model_pb2  # generated protobuf classes, untyped
    data: dict[str, Any] = json.loads(full.read_text(encoding="utf-8"))
    model = data["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"{full}: a compact tokenizer needs a Unigram model, not {model.get('type')}")
    specials = {tok["content"]: tok["id"] for tok in data.get("added_tokens", []) if tok.get("special")}
    proto = pb.ModelProto()
    kinds = pb.ModelProto.SentencePiece
    for index, (piece, score) in enumerate(model["vocab"]):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = (kinds.UNKNOWN if index == model["unk_id"]
                      else kinds.CONTROL if piece in specials else kinds.NORMAL)
    trainer = proto.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(model["vocab"])
    trainer.unk_id, trainer.unk_piece = model["unk_id"], model["vocab"][model["unk_id"]][0]
    trainer.bos_id, trainer.eos_id, trainer.pad_id = specials["<s>"], specials["</s>"], specials["<pad>"]
    trainer.bos_piece, trainer.eos_piece, trainer.pad_piece = "<s>", "</s>", "<pad>"
    normalizer = proto.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = False
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    char_map = char_map_of(Tokenizer.from_file(str(full)))
    if char_map is None:
        raise ValueError(f"{full}: no per-codepoint normalization to carry over")
    (target / SPM_FILE).write_bytes(proto.SerializeToString())
    (target / MAP_FILE).write_text(char_map.to_json(), encoding="utf-8")
    known = sorted({ch for piece, _ in model["vocab"] for ch in piece})  # as e5_tokenizer's Split sees it
    (target / KNOWN_FILE).write_text("".join(known), encoding="utf-8")


class CompactTokenizer:
    """The converted e5 tokenizer from the files ``write_compact`` wrote (see the module text)."""

    def __init__(self, folder: Path) -> None:
        import sentencepiece

        self.folder = folder
        self._sp = sentencepiece.SentencePieceProcessor(model_proto=(folder / SPM_FILE).read_bytes())
        self._map = CharMap.from_json((folder / MAP_FILE).read_text(encoding="utf-8"))
        self._known = frozenset((folder / KNOWN_FILE).read_text(encoding="utf-8"))
        self.pad_id = int(self._sp.pad_id())
        self._bos, self._eos = int(self._sp.bos_id()), int(self._sp.eos_id())
        self._unk = int(self._sp.unk_id())
        self._full: JsonTokenizer | None = None

    def ids(self, text: str) -> list[int]:
        mapped = self._map.apply(text)
        if self._map.needs_full(text, mapped) or any(tok in text for tok in self._map.specials):
            if self._full is None:
                self._full = JsonTokenizer(self.folder / FULL_FILE)
            return self._full.ids(text)
        mapped = _SPACES.sub(" ", mapped)
        if mapped and not mapped.startswith(" "):
            mapped = " " + mapped
        ids = [self._bos]
        for piece in self._sp.encode(mapped, return_type="proto").pieces:
            if piece.id == self._unk:
                ids += [self._unk] * self._unknowns(piece.surface)
            else:
                ids.append(piece.id)
        ids.append(self._eos)
        return ids

    def _unknowns(self, run: str) -> int:
        """How many ``<unk>`` the converted tokenizer gives a run SentencePiece fused into one:
        one per character found in no piece, one per stretch of other characters between them."""
        count, stretch = 0, False
        for ch in run:
            if ch in self._known:
                stretch = True
                continue
            count += 1 + stretch
            stretch = False
        return count + stretch


def load_tokenizer(folder: Path) -> TextTokenizer:
    """The compact tokenizer if ``folder`` has one, else its ``tokenizer.json``."""
    if (folder / SPM_FILE).is_file():
        return CompactTokenizer(folder)
    return JsonTokenizer(folder / FULL_FILE)
