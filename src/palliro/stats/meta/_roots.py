"""Brent–Dekker root finding with R's ``uniroot`` stopping rule.

metafor solves the Paule–Mandel equation and the Q-profile bounds with R's ``uniroot``, whose
default tolerance (``.Machine$double.eps^0.25`` ≈ 1.22e-4) stops well short of the exact root.
To reproduce the digits ``rma()``/``confint()`` print, this is an implementation of the same
algorithm (Brent 1973, *Algorithms for Minimization without Derivatives*, ch. 4; the variant in
R's ``zeroin.c``): same bracketing updates, same interpolation acceptance test and same
tolerance ``2·eps·|b| + tol/2``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_EPS = sys.float_info.epsilon

#: R's default ``uniroot`` tolerance, ``.Machine$double.eps^0.25``.
R_UNIROOT_TOL = _EPS**0.25


class RootNotFound(RuntimeError):
    """The bracketing search did not converge within ``maxiter`` evaluations."""


def brent_root(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    tol: float = R_UNIROOT_TOL,
    maxiter: int = 1000,
    f_lower: float | None = None,
    f_upper: float | None = None,
) -> tuple[float, int]:
    """Return ``(root, iterations)`` of ``f`` in ``[lower, upper]`` (signs must differ)."""
    a, b = float(lower), float(upper)
    fa = f(a) if f_lower is None else f_lower
    fb = f(b) if f_upper is None else f_upper
    if fa == 0.0:
        return a, 0
    if fb == 0.0:
        return b, 0
    if (fa > 0) == (fb > 0):
        raise RootNotFound("function values at the interval ends do not have opposite signs")
    c, fc = a, fa
    for it in range(1, maxiter + 2):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * _EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b, it - 1
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise RootNotFound(f"no convergence after {maxiter} iterations")
