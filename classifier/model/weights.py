"""Compact storage of a linear model's weights: one byte per weight, square-law companded per tag.

A tag's weights are divided by their largest magnitude m and stored as c = round(127·sign(w)·√(|w|/m)),
decoded as w ≈ c·|c|·m/127². Small weights, the great majority, keep fine steps and the few large
ones a small relative error. On the default corpus the raw scores move by about 3.5·10⁻⁴ on average
(scores span about 0 to 1), a quarter of the error of plain linear 8-bit steps and the same as µ-law
codes, while decoding is plain arithmetic (about 0.07 s for 25 million weights; a µ-law table
lookup took 0.17 s). The model file keeps only the codes and the per-tag scales, a quarter of
float32 weights.
"""

from __future__ import annotations

import zlib

import numpy as np

from classifier.parallel import run_threads

_LEVELS = 127.0
_BLOCK = 4096
_ZLIB_LEVEL = 1


class CompactWeights:
    """Weights (n_features, n_tags) as int8 square-law codes and a float32 scale per tag.

    A loaded model keeps the saved streams and decodes all codes only when a batch needs them:
    `rows` for a few texts reads just their rows, so a cold single-text prediction skips the full
    decode."""

    def __init__(self, codes: np.ndarray | None, scale: np.ndarray, packed: dict | None = None):
        self._codes = codes
        self.scale = scale
        self._packed = packed  # the saved streams, until the codes are decoded

    @classmethod
    def from_dense(cls, W: np.ndarray, prune: float = 0.0) -> CompactWeights:
        """Encode `W`; weights below `prune` times their tag's largest magnitude become 0."""
        W = np.asarray(W, dtype=np.float32)
        if W.ndim != 2:
            raise ValueError(f"weights must be 2-D (features × tags); got shape {W.shape}")
        scale = np.zeros(W.shape[1], dtype=np.float32)
        for lo in range(0, W.shape[0], _BLOCK):  # in blocks: no temporary the size of W
            np.maximum(scale, np.abs(W[lo:lo + _BLOCK]).max(axis=0), out=scale)
        safe = np.where(scale > 0, scale, 1.0).astype(np.float64)
        codes = np.empty(W.shape, dtype=np.int8)
        for lo in range(0, W.shape[0], _BLOCK):  # in blocks: float64 temporaries stay small
            block = W[lo:lo + _BLOCK].astype(np.float64)
            ratio = np.abs(block) / safe
            codes[lo:lo + _BLOCK] = np.where(ratio < prune, 0, np.rint(np.sign(block) * np.sqrt(ratio) * _LEVELS))
        return cls(codes, scale.astype(np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self._packed["shape"]) if self._codes is None else self._codes.shape

    @property
    def codes(self) -> np.ndarray:
        """All codes (n_features, n_tags), decoded from the saved streams on first use."""
        if self._codes is None:
            nonzero, values = self._streams()
            codes = np.zeros(nonzero.size, dtype=np.int8)
            codes[nonzero] = values
            self._codes = codes.reshape(self.shape)
            self._packed = None
        return self._codes

    def _streams(self) -> tuple[np.ndarray, np.ndarray]:
        """The saved streams as arrays: the non-zero bitmap (bool, flat) and the non-zero codes."""
        import threading

        count = int(np.prod(self.shape))
        bitmap: list[bytes] = []
        # zlib releases the GIL: the bitmap inflates on a second core while this thread does the values.
        other = threading.Thread(target=lambda: bitmap.append(zlib.decompress(self._packed["nonzero"])))
        other.start()
        values = np.frombuffer(zlib.decompress(self._packed["values"]), dtype=np.int8)
        other.join()
        nonzero = np.unpackbits(np.frombuffer(bitmap[0], dtype=np.uint8), count=count).view(bool)
        return nonzero, values

    def __getstate__(self) -> dict:
        """Saved as a bitmap of the non-zero codes and the non-zero codes themselves, each
        zlib-compressed: pruning leaves about 70% zeros, and the two streams compress better and
        6x faster than the codes as one block (OrangeSum: 7.8 MB in 0.4 s against 9.0 MB in 2.6 s)."""
        if self._codes is None:
            return {"scale": self.scale, **self._packed}
        flat = np.ascontiguousarray(self._codes).ravel()
        nonzero = flat != 0
        return {"shape": self._codes.shape, "scale": self.scale,
                "nonzero": zlib.compress(np.packbits(nonzero).tobytes(), _ZLIB_LEVEL),
                "values": zlib.compress(flat[nonzero].tobytes(), _ZLIB_LEVEL)}

    def __setstate__(self, state: dict) -> None:
        self.scale = state["scale"]
        self._codes = None
        self._packed = {"shape": tuple(state["shape"]), "nonzero": state["nonzero"], "values": state["values"]}

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) + self.scale.nbytes

    def _decode(self, codes: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[...] = codes
        out *= np.abs(out)
        out *= self.scale / np.float32(_LEVELS * _LEVELS)
        return out

    def rows(self, index: np.ndarray) -> np.ndarray:
        """Float32 weights of the given feature rows (sorted, unique), read from the saved streams
        while the full codes are not decoded."""
        index = np.asarray(index, dtype=np.int64)
        if self._codes is not None:
            codes = self._codes[index]
        else:
            n_tags = self.shape[1]
            nonzero, values = self._streams()
            mask = nonzero.reshape(self.shape)
            starts = np.zeros(self.shape[0] + 1, dtype=np.int64)
            np.cumsum(mask.sum(axis=1), out=starts[1:])
            picked = mask[index]
            take = np.concatenate([np.arange(starts[r], starts[r + 1]) for r in index.tolist()] or [np.zeros(0, int)])
            codes = np.zeros((len(index), n_tags), dtype=np.int8)
            codes[picked] = values[take]
        return self._decode(codes, np.empty(codes.shape, dtype=np.float32))

    def dense(self, n_threads: int = 1) -> np.ndarray:
        """All weights as float32 (n_features, n_tags), decoded in row blocks (which stay in cache)
        shared among `n_threads` threads (numpy releases the GIL for this arithmetic)."""
        out = np.empty(self.codes.shape, dtype=np.float32)
        starts = range(0, self.codes.shape[0], _BLOCK)

        def part(lo: int) -> None:
            self._decode(self.codes[lo:lo + _BLOCK], out[lo:lo + _BLOCK])

        run_threads(part, starts, n_threads)
        return out
