"""Weighted least-squares building blocks shared by the tau² estimators and the pooling code.

metafor writes its estimators with the k×k projection matrix
``P = W − W X (X'W X)⁻¹ X'W`` (Viechtbauer 2005; metafor ``rma.uni``). Forming P costs O(k²)
memory, which is prohibitive at k = 10 000, so every quantity needed (Y'PY, tr P, tr PDPD …) is
computed here from the rank-p structure of P in O(k·p²) instead. The values are algebraically
identical to metafor's dense formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Projection:
    """``P = diag(w) − U A U'`` with ``U = diag(w) X`` and ``A = (X' diag(w) X)⁻¹``."""

    w: np.ndarray
    X: np.ndarray
    U: np.ndarray
    A: np.ndarray
    beta: np.ndarray
    resid: np.ndarray

    def quad(self) -> float:
        """Y'PY = Σ w (y − Xβ̂)², the weighted residual sum of squares."""
        return float(np.sum(self.w * self.resid**2))

    def quad_pp(self) -> float:
        """Y'PPY = ‖PY‖², with PY = w·(y − Xβ̂)."""
        py = self.w * self.resid
        return float(py @ py)

    def trace(self) -> float:
        """tr P."""
        return float(np.sum(self.w) - np.trace(self.A @ (self.U.T @ self.U)))

    def trace_d(self, d: np.ndarray) -> float:
        """tr(P D) for a diagonal matrix D = diag(d)."""
        return float(np.sum(self.w * d) - np.trace(self.A @ (self.U.T @ (d[:, None] * self.U))))

    def trace_pdpd(self, d1: np.ndarray, d2: np.ndarray) -> float:
        """tr(P D1 P D2) for diagonal D1, D2 (covers tr PP, tr PVPV and Σ(PV∘P) = tr(PPV)).

        With B = U A U': tr(W D1 W D2) − 2 tr(A U'(W D1 D2)U) + tr(A U'D1U A U'D2U), because all
        diagonal factors commute.
        """
        U, A, w = self.U, self.A, self.w
        m1 = U.T @ (d1[:, None] * U)
        m2 = U.T @ (d2[:, None] * U)
        cross = U.T @ ((w * d1 * d2)[:, None] * U)
        return float(np.sum(w * w * d1 * d2) - 2.0 * np.trace(A @ cross) + np.trace(A @ m1 @ A @ m2))


def project(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> Projection:
    """Weighted least-squares fit of y on X with weights w, packaged as a :class:`Projection`."""
    U = w[:, None] * X
    xtwx = X.T @ U
    A = np.linalg.inv(xtwx)
    beta = A @ (U.T @ y)
    resid = y - X @ beta
    return Projection(w=w, X=X, U=U, A=A, beta=beta, resid=resid)
