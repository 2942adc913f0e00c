"""A small multinomial logistic-regression head trained on few-shot embeddings (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def log_softmax(z: NDArray[np.float32]) -> NDArray[np.float32]:
    z = z - z.max(axis=-1, keepdims=True)
    out: NDArray[np.float32] = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return out


class SoftmaxHead:
    """L2-regularised softmax regression over L2-normalised embeddings.

    Every class weighs the same in the loss however many examples it has.
    ``c`` plays the role of scikit-learn's ``C`` (inverse regularisation
    strength). Fitting starts from the nearest-centroid classifier
    (``w_k = s * mean_k``, ``b_k = -s/2 * |mean_k|^2``) and takes a fixed
    number of full-batch Adam steps: on the Banking77 10-shot embeddings 30
    steps from that start reach the accuracy of scikit-learn's converged
    L-BFGS solution, and the cost is ``steps * n_examples * dim * n_classes``.
    """

    def __init__(
        self,
        x: NDArray[np.float32],
        y: NDArray[np.intp],
        n_classes: int,
        c: float = 30.0,
        steps: int = 30,
        learning_rate: float = 0.05,
        init_scale: float = 20.0,
    ) -> None:
        n, dim = x.shape
        counts = np.bincount(y, minlength=n_classes).astype(np.float32)
        sample_w = ((1.0 / counts[y]) / n_classes).astype(np.float32)
        target = np.zeros((n, n_classes), dtype=np.float32)
        target[np.arange(n), y] = 1.0
        lam = np.float32(1.0 / (c * n))
        xb = np.hstack([x, np.ones((n, 1), dtype=np.float32)])
        centroids = (x.T @ (target * sample_w[:, None])) * n_classes  # (dim, n_classes)
        w = np.empty((dim + 1, n_classes), dtype=np.float32)
        w[:-1] = init_scale * centroids
        w[-1] = -0.5 * init_scale * (centroids * centroids).sum(axis=0)
        mean = np.zeros_like(w)
        var = np.zeros_like(w)
        beta1, beta2 = 0.9, 0.999
        for t in range(1, steps + 1):
            prob = np.exp(log_softmax(xb @ w))
            grad = xb.T @ ((prob - target) * sample_w[:, None])
            grad[:-1] += lam * w[:-1]  # the bias row is not penalised
            mean = beta1 * mean + (1 - beta1) * grad
            var = beta2 * var + (1 - beta2) * grad * grad
            w -= (
                learning_rate * (mean / (1 - beta1**t)) / (np.sqrt(var / (1 - beta2**t)) + 1e-8)
            ).astype(np.float32)
        self.weights = w[:-1]
        self.bias = w[-1]

    def log_proba(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return log_softmax(x @ self.weights + self.bias)
