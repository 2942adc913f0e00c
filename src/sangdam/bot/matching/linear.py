"""A small multinomial logistic-regression head trained on few-shot embeddings (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def log_softmax(z: NDArray[np.float32]) -> NDArray[np.float32]:
    z = z - z.max(axis=-1, keepdims=True)
    out: NDArray[np.float32] = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return out


class SoftmaxHead:
    """L2-regularised softmax regression, fitted by Nesterov-accelerated gradient descent.

    Every class weighs the same in the loss however many examples it has.
    ``c`` plays the role of scikit-learn's ``C`` (inverse regularisation
    strength). Rows of ``x`` are expected to be L2-normalised, which bounds
    the loss curvature and lets a fixed step size converge.
    """

    def __init__(self, x: NDArray[np.float32], y: NDArray[np.intp], n_classes: int,
                 c: float = 30.0, iterations: int = 300) -> None:
        n, dim = x.shape
        counts = np.bincount(y, minlength=n_classes).astype(np.float32)
        sample_w = (1.0 / counts[y]) / n_classes  # sums to 1 over the classes present
        onehot = np.zeros((n, n_classes), dtype=np.float32)
        onehot[np.arange(n), y] = 1.0
        lam = np.float32(1.0 / (c * n))
        step = np.float32(1.0 / (1.0 + lam))  # curvature bound: ‖[x, 1]‖² = 2, softmax ≤ 1/2
        w = np.zeros((dim + 1, n_classes), dtype=np.float32)
        xb = np.hstack([x, np.ones((n, 1), dtype=np.float32)])
        velocity = w.copy()
        for t in range(iterations):
            lookahead = w + (t / (t + 3.0)) * velocity
            prob = np.exp(log_softmax(xb @ lookahead))
            grad = xb.T @ ((prob - onehot) * sample_w[:, None])
            grad[:-1] += lam * lookahead[:-1]
            new_w = lookahead - step * grad
            velocity = new_w - w
            w = new_w
        self.weights = w[:-1]
        self.bias = w[-1]

    def log_proba(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return log_softmax(x @ self.weights + self.bias)
