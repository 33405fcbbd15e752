"""Per-tag Platt scaling: turns a tag's raw score into a probability-like score in [0, 1].

Fitted on held-out (leave-one-out) scores, so a score of 0.8 means that about 80% of held-out
articles with that raw score carried the tag. One (slope, intercept) pair per tag, fitted for all
tags at once by a damped Newton method on standardised scores (regularised, so a tag whose
held-out scores separate perfectly still gets a finite slope).
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def log_expit(z: np.ndarray) -> np.ndarray:
    """log(sigmoid(z)), stable for large |z|."""
    return -np.logaddexp(0.0, -z)


def _loss(z: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray, ridge: float) -> np.ndarray:
    u = a[:, None] * z + b[:, None]
    return -(t * log_expit(u) + (1 - t) * log_expit(-u)).sum(1) + 0.5 * ridge * a * a


def fit_platt(scores: np.ndarray, Y: np.ndarray, *, iterations: int = 30, ridge: float = 1e-3,
              block: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts (one per column of `scores`) of sigmoid(slope * score + intercept).

    Tags are fitted `block` at a time, which bounds the memory the float64 work arrays take.
    """
    parts = [_fit_block(scores[:, i:i + block], Y[:, i:i + block], iterations, ridge)
             for i in range(0, scores.shape[1], block)]
    if not parts:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _fit_block(scores: np.ndarray, Y: np.ndarray, iterations: int, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    # Tags as rows (contiguous) so that every sum runs along the fast axis.
    s = np.ascontiguousarray(np.asarray(scores, dtype=np.float64).T)
    y = np.asarray(Y, dtype=np.float64).T
    n_tags, n = s.shape
    mu = s.mean(1)
    sd = s.std(1)
    sd[sd < 1e-12] = 1.0
    z = (s - mu[:, None]) / sd[:, None]
    pos = y.sum(1)
    neg = n - pos
    # Platt's smoothed targets keep a tag with few examples from getting an infinite slope.
    t = np.where(y > 0, ((pos + 1) / (pos + 2))[:, None], (1 / (neg + 2))[:, None])
    a = np.full(n_tags, 2.0)
    b = np.log((pos + 1) / (neg + 1))
    active = np.arange(n_tags)  # tags still converging; the others are left alone
    loss = _loss(z, t, a, b, ridge)
    for _ in range(iterations):
        za, ta, aa, ba = z[active], t[active], a[active], b[active]
        p = _sigmoid(aa[:, None] * za + ba[:, None])
        w = p * (1 - p)
        r = p - ta
        wz = w * za
        ga, gb = (r * za).sum(1) + ridge * aa, r.sum(1)
        haa, hab, hbb = (wz * za).sum(1) + ridge + 1e-9, wz.sum(1), w.sum(1) + 1e-9
        det = haa * hbb - hab * hab
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = np.ones(len(active))
        new = _loss(za, ta, aa - da, ba - db, ridge)
        for _ in range(10):  # halve the step where the loss would go up
            worse = np.flatnonzero(~(new <= loss[active] + 1e-12))
            if len(worse) == 0:
                break
            step[worse] /= 2
            new[worse] = _loss(za[worse], ta[worse], aa[worse] - step[worse] * da[worse],
                               ba[worse] - step[worse] * db[worse], ridge)
        a[active] = aa - step * da
        b[active] = ba - step * db
        done = (np.abs(step * da) < 1e-6) & (np.abs(step * db) < 1e-6)
        loss[active] = new
        active = active[~done]
        if len(active) == 0:
            break
    slopes = a / sd
    intercepts = b - a * mu / sd
    return slopes.astype(np.float32), intercepts.astype(np.float32)


def apply_platt(scores: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """Probability-like scores from raw scores."""
    if np.ndim(scores) == 0 or any(np.asarray(v).dtype != np.float32 for v in (scores, slopes, intercepts)):
        return _sigmoid((scores * slopes + intercepts).astype(np.float32)).astype(np.float32)
    z = np.multiply(scores, slopes, dtype=np.float32)
    z += intercepts
    return sigmoid32(z)


def sigmoid32(z: np.ndarray) -> np.ndarray:
    """`_sigmoid` of a float32 array in its own place (`z` is overwritten and returned): the same
    float32 steps, without batch-sized temporaries."""
    z *= np.float32(0.5)
    np.tanh(z, out=z)
    z += np.float32(1)
    z *= np.float32(0.5)
    return z
