"""Autograd Functions of the matrix decompositions: det, log|det|, inverse, solve, Cholesky,
eigh, SVD, QR and the pseudo-inverse, each with its matrix-calculus backward.

They work on stacks of matrices (..., m, n) with the table's `xp.linalg` (NumPy on the host,
CuPy on a GPU), and are used by pyneuro/linalg.py (pn.linalg.det, pn.linalg.solve, ...), which
checks shapes and dtypes first. Formulas follow torch's (FunctionsManual.cpp), so gradients
match torch.autograd, including at singular matrices where a formula with inv(A) would fail.

Decompositions with several outputs (eigh, svd, qr) are one Function per output (`part=`):
each output's backward is the decomposition's backward with the other outputs' gradients
zero, so the gradients of the parts add up to the whole one.
"""

from __future__ import annotations

import numpy as _np

from .._errors import LinAlgError
from .function import Function, _unbroadcast


def _mT(x):
    return x.swapaxes(-1, -2)


def _first_failure(xp, a, info):
    """torch's words for the first matrix of a stack that failed: "(Batch element i): " (i its
    index in the flattened batch; nothing for one matrix) and LAPACK's info there; `info` (a
    batch-shaped array, 0 where a matrix succeeded) is attached to the error for the *_ex forms."""
    flat = info.reshape(-1)
    i = int(xp.argmax(flat != 0)) if flat.size else 0
    return ("" if a.ndim <= 2 else f"(Batch element {i}): "), int(flat[i]) if flat.size else 0


def _error(msg, xp, info):
    exc = LinAlgError(msg)
    exc.info = info.get() if hasattr(info, "get") else _np.asarray(info)  # (host copy: CuPy's)
    return exc


def info_of(exc):
    """LAPACK's info of a failed one-matrix op (what its error carries, else 1), for the *_ex forms."""
    info = getattr(exc, "info", None)
    return 1 if info is None or info.size != 1 else int(info.reshape(-1)[0])


def _singular(xp, a, what):
    """NumPy's LinAlgError (a ValueError) for a singular A as torch's LinAlgError, with its
    message: the first zero pivot of getrf's LU (1-based), in the first singular matrix."""
    info = lu_arrays(xp, a)[2]
    if not bool((info != 0).any()):  # (our LU's rounding found no exact zero where LAPACK's did)
        info = xp.full(info.shape, a.shape[-1], dtype=_np.int32)
    where, k = _first_failure(xp, a, info)
    if what == "solve":
        return _error(
            f"torch.linalg.solve: {where}The solver failed because the input matrix is singular.", xp, info
        )
    return _error(
        f"linalg.{what}: {where}The diagonal element {k} is zero, the inversion could not be completed "
        "because the input matrix is singular.",
        xp,
        info,
    )


def _cholesky_info(xp, a):
    """LAPACK potrf's info per matrix of a stack (lower triangle read): 0, or the order of the
    first leading minor that is not positive-definite (a pivot <= 0 or NaN)."""
    *batch, n, _ = a.shape
    a = a.reshape(int(_np.prod(batch)), n, n)
    low = xp.zeros_like(a)
    info = xp.zeros(a.shape[0], dtype=_np.int32)
    for j in range(n):
        d = a[:, j, j] - (low[:, j, :j] ** 2).sum(-1)
        bad = ~(d > 0)
        info = xp.where((info == 0) & bad, j + 1, info).astype(_np.int32)
        low[:, j, j] = xp.sqrt(xp.where(bad, 1, d))
        col = a[:, j + 1 :, j] - (low[:, j + 1 :, :j] @ low[:, j, :j, None])[..., 0]
        low[:, j + 1 :, j] = col / low[:, j, j][:, None]
    return info.reshape(batch)


def _not_positive_definite(xp, a):
    info = _cholesky_info(xp, a)
    if not bool((info != 0).any()):
        info = xp.full(info.shape, a.shape[-1], dtype=_np.int32)
    where, k = _first_failure(xp, a, info)
    return _error(
        f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
        f"positive-definite (the leading minor of order {k} is not positive-definite).",
        xp,
        info,
    )


def _prod_others(xp, s):
    """c_i = prod_{j != i} s_j along the last axis, without dividing (exact when some s_j is 0)."""
    ones = xp.ones_like(s[..., :1])
    left = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(
        xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), axis=-1), axis=-1), axis=-1
    )
    return left * right


class Det(Function):
    """out = det(A). d det / dA = adj(A)^T, taken from the SVD A = U S Vh as
    det(U) det(Vh) U diag(prod_{j!=i} s_j) Vh, which is defined for singular A too."""

    __slots__ = ()
    saves_output = True  # not read here, but torch's node saves det: changing it in place raises there

    def forward(self, a):
        # (a copy: torch's backward reads the LU factors its forward made, so a change of A through
        # .data, which bumps no version, leaves its gradient the forward's)
        self.saved = (a.copy(),)
        return self.bk.xp.linalg.det(a)

    def backward(self, g):
        xp = self.bk.xp
        (a,) = self.saved
        finite = xp.isfinite(a).all(axis=(-2, -1))  # (a NaN or inf entry: a NaN gradient, as torch)
        all_finite = bool(finite.all())
        if not all_finite:
            a = xp.where(finite[..., None, None], a, xp.eye(a.shape[-1], dtype=a.dtype))
        u, s, vh = xp.linalg.svd(a)
        sign = xp.linalg.det(u) * xp.linalg.det(vh)
        cof = (u * _prod_others(xp, s)[..., None, :]) @ vh
        grad = (g * sign)[..., None, None] * cof
        return (grad if all_finite else xp.where(finite[..., None, None], grad, xp.nan),)


def _cross(xp, a, b, d: int):
    """a x b of the 3-vectors along axis d (a and b broadcast)."""
    i1, i2 = xp.asarray([1, 2, 0]), xp.asarray([2, 0, 1])
    return xp.take(a, i1, axis=d) * xp.take(b, i2, axis=d) - xp.take(a, i2, axis=d) * xp.take(b, i1, axis=d)


class Cross(Function):
    """out = a x b along dim d (broadcasting); d/da = b x g, d/db = g x a, read from a and b as they
    are at backward, as torch's node (which saves each where the other's gradient reads it) does."""

    __slots__ = ()
    saved_for = ((1,), (0,))

    def forward(self, a, b, d=-1):
        self.saved = (a, b, d)
        return _cross(self.bk.xp, a, b, d)

    def backward(self, g):
        a, b, d = self.saved
        xp = self.bk.xp
        return (
            _unbroadcast(_cross(xp, b, g, d), a.shape) if self.needs[0] else None,
            _unbroadcast(_cross(xp, g, a, d), b.shape) if self.needs[1] else None,
        )

    def name(self) -> str:
        return "LinalgCrossBackward0"


class Trilinear(Function):
    """torch's bilinear core, _trilinear: y[b, o] = sum_ij x1[b, i] w[o, i, j] x2[b, j] for x1
    (B, in1), w (out, in1, in2), x2 (B, in2): one matmul x1 @ w as (in1, out in2), then a
    product with x2 summed over j. Backward reads the three as they are then (torch's node saves
    them, each only where another's gradient reads it): dx1 = (g x2) @ w as (out in2, in1),
    dx2 = sum_o g (x1 @ w), dw = g^T @ (x1 x2)."""

    __slots__ = ()
    saved_for = ((1, 2), (0, 2), (0, 1))  # x1 read by w's and x2's gradients, w by x1's and x2's, ...

    def forward(self, x1, w, x2):
        self.saved = (x1, w, x2)
        return (self._first(x1, w) * x2[:, None, :]).sum(-1)

    @staticmethod
    def _first(x1, w):
        out, in1, in2 = w.shape
        return (x1 @ w.transpose(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)

    def backward(self, g):
        x1, w, x2 = self.saved
        out, in1, in2 = w.shape
        g1 = gw = g2 = None
        if self.needs[0]:
            g1 = (g[:, :, None] * x2[:, None, :]).reshape(-1, out * in2) @ w.transpose(0, 2, 1).reshape(
                out * in2, in1
            )
        if self.needs[1]:
            gw = (g.T @ (x1[:, :, None] * x2[:, None, :]).reshape(-1, in1 * in2)).reshape(out, in1, in2)
        if self.needs[2]:
            g2 = (g[:, :, None] * self._first(x1, w)).sum(1)
        return g1, gw, g2

    def name(self) -> str:
        return "TrilinearBackward0"


class LogDet(Function):
    """out = log|det A| (signed=True: slogdet's logabsdet) or log(det A) (nan for det < 0).
    d/dA = inv(A)^T in both cases (the sign is locally constant)."""

    __slots__ = ()

    def forward(self, a, signed=True):
        xp = self.bk.xp
        self.saved = (a.copy(),)  # (as Det's: torch's backward reads the forward's LU factors)
        sign, logabs = xp.linalg.slogdet(a)
        if signed:
            return logabs
        return xp.where(sign < 0, xp.asarray(float("nan"), dtype=logabs.dtype), logabs)

    def backward(self, g):
        xp = self.bk.xp
        (a,) = self.saved
        return (g[..., None, None] * _mT(xp.linalg.inv(a)),)


class Inv(Function):
    """out = A^-1. d/dA = -out^T g out^T."""

    __slots__ = ()
    saved_for = ((),)
    saves_output = True

    def forward(self, a):
        xp = self.bk.xp
        try:
            out = xp.linalg.inv(a)
        except _np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _singular(xp, a, "inv") from None
        self.saved = (out,)
        return out

    def backward(self, g):
        (out,) = self.saved
        t = _mT(out)
        return (-(t @ g @ t),)


class Solve(Function):
    """out X = A^-1 B (A: (..., n, n), B: (..., n, k), batch dims broadcast).
    d/dB = A^-T g; d/dA = -(d/dB) X^T. Broadcast batch dims are summed back."""

    __slots__ = ()
    saved_for = ((0, 1), ())  # A and X, not B: B changed in place after the solve is no error (torch's)
    saves_output = True

    def forward(self, a, b):
        xp = self.bk.xp
        try:
            out = xp.linalg.solve(a, b)
        except _np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _singular(xp, a, "solve") from None
        # A as it is now (torch's node keeps A's LU factors: a later `A.data` change is not seen)
        self.saved = (a.copy(), out)
        return out

    def backward(self, g):
        xp = self.bk.xp
        a, x = self.saved
        gb = xp.linalg.solve(_mT(a), g)
        ga = -(gb @ _mT(x))
        return _unbroadcast(ga, a.shape), _unbroadcast(gb, self.inputs[1].shape)


class Cholesky(Function):
    """out L lower-triangular with A = L L^T (upper=True: out U = L^T, A = U^T U).
    Backward (torch's cholesky_backward): M = tril(L^T gL), S = (M + tril(M, -1)^T) / 2,
    dA = L^-T S L^-1 (symmetric)."""

    __slots__ = ()
    saved_for = ((),)
    saves_output = True

    def forward(self, a, upper=False):
        xp = self.bk.xp
        if upper:  # only A's upper triangle is read, as torch's: NumPy reads the lower one of A^T
            a = _mT(a)
        try:
            if not bool(xp.isfinite(xp.tril(a)).all()):  # (NumPy's factor of NaN is NaN; LAPACK refuses it)
                raise _np.linalg.LinAlgError("non-finite input")
            low = xp.linalg.cholesky(a)
        except _np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _not_positive_definite(xp, a) from None
        self.saved = (low, upper)
        return _mT(low).copy() if upper else low

    def backward(self, g):
        xp = self.bk.xp
        low, upper = self.saved
        if upper:
            g = _mT(g)
        m = xp.tril(_mT(low) @ g)
        s = 0.5 * (m + _mT(xp.tril(m, -1)))
        linv = xp.linalg.inv(low)
        return (_mT(linv) @ s @ linv,)


def _eigh(xp, a, upper):
    """xp.linalg.eigh reading the lower (or upper) triangle, as torch's UPLO."""
    return xp.linalg.eigh(a, UPLO="U" if upper else "L")


class Eigh(Function):
    """part "values": the eigenvalues w of a symmetric A (ascending); part "vectors": V.
    Backward (torch's linalg_eig_backward, hermitian case):
    dA = V (diag(gw) + skew(V^T gV) / E) V^T, E_ij = w_j - w_i (1 on the diagonal),
    skew(X) = (X - X^T) / 2; each part's backward is this with the other gradient zero."""

    __slots__ = ()
    saved_for = ((),)  # (w and V, not A, as torch's node: A changed in place after eigh is no error)

    def forward(self, a, part="values", upper=False):
        w, v = _eigh(self.bk.xp, a, upper)
        self.saved = (w, v, part)
        return w if part == "values" else v

    def backward(self, g):
        xp = self.bk.xp
        w, v, part = self.saved
        if part == "values":
            inner = g[..., :, None] * xp.eye(w.shape[-1], dtype=w.dtype)
        else:
            vg = _mT(v) @ g
            e = w[..., None, :] - w[..., :, None]
            n = w.shape[-1]
            e = e + xp.eye(n, dtype=w.dtype)
            inner = 0.5 * (vg - _mT(vg)) / e
            inner = inner * (1 - xp.eye(n, dtype=w.dtype))
        return (v @ inner @ _mT(v),)


class Svd(Function):
    """One output of the reduced SVD A = U diag(S) Vh (k = min(m, n)): part "U", "S" or "Vh".
    Backward (torch's svd_backward, real case), with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal:
    dA = U [diag(gS) + (J + J^T) S + S (K + K^T)] Vh + (I - U U^T) gU S^-1 Vh + U S^-1 gVh (I - Vh^T Vh),
    J = F * skew-part of U^T gU, K = F * skew-part of Vh gVh^T (as torch writes it, below).
    full=True (U m x m, Vh n x n): the extra columns/rows get no gradient, as in torch."""

    __slots__ = ()
    saved_for = ((),)  # (U, S and Vh, not A, as torch's node)

    def forward(self, a, part="S", full=False):
        u, s, vh = self.bk.xp.linalg.svd(a, full_matrices=full)
        k = s.shape[-1]
        self.saved = (a.shape, u[..., :k], s, vh[..., :k, :], part)
        return {"U": u, "S": s, "Vh": vh}[part]

    def backward(self, g):
        xp = self.bk.xp
        shape, u, s, vh, part = self.saved
        m, n = shape[-2:]
        k = s.shape[-1]
        g = g[..., :k] if part == "U" else (g[..., :k, :] if part == "Vh" else g)
        eye = xp.eye(k, dtype=s.dtype)
        if part == "S":
            return ((u * g[..., None, :]) @ vh,)
        s2 = s * s
        diff = s2[..., None, :] - s2[..., :, None]  # s_j^2 - s_i^2
        with_eye = diff + eye
        f = (1 - eye) / with_eye
        v = _mT(vh)
        if part == "U":
            gu = g
            skew = _mT(u) @ gu
            skew = skew - _mT(skew)
            inner = (f * skew) * s[..., None, :]
            out = u @ inner @ vh
            if m > k:
                out = out + ((gu - u @ (_mT(u) @ gu)) / s[..., None, :]) @ vh
            return (out,)
        gv = _mT(g)
        skew = _mT(v) @ gv
        skew = skew - _mT(skew)
        inner = s[..., :, None] * (f * skew)
        out = u @ inner @ vh
        if n > k:
            out = out + (u / s[..., None, :]) @ _mT(gv - v @ (_mT(v) @ gv))
        return (out,)


def _qr_backward(xp, q, r, gq, gr):
    """dA of A = Q R with R square (m >= n, reduced), with C = Q^T gQ and D = R gR^T:
    Q (gR + tril(C - C^T + D - D^T) R^-T) + (gQ - Q C) R^-T (the formula TensorFlow and torch use)."""
    c = _mT(q) @ gq
    d = r @ _mT(gr)
    tril = xp.tril(c - _mT(c) + d - _mT(d))
    rinv_t = _mT(xp.linalg.inv(r))
    return q @ (gr + tril @ rinv_t) + (gq - q @ c) @ rinv_t


class Qr(Function):
    """One output of A = Q R: part "Q" or "R" ("r": R of mode='r', whose backward raises, as torch's);
    each part's backward has the other's gradient zero. m >= n (reduced): _qr_backward. m < n
    (Q square): A = [X | Y], R = [U | V] with X = Q U, Y = Q V, as torch: dX is _qr_backward(Q, U)
    with gQ + Y gV^T for gQ, and dY = Q gV."""

    __slots__ = ()
    saved_for = ((),)  # (Q and R, not A, as torch's node)

    def forward(self, a, part="Q", mode="reduced"):
        q, r = self.bk.xp.linalg.qr(a, mode="reduced" if mode == "r" else mode)
        self.saved = (q, r, "r" if mode == "r" else part)
        return q if part == "Q" else r

    def backward(self, g):
        xp = self.bk.xp
        q, r, part = self.saved
        if part == "r":  # as torch: the user asked for R only
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        gq = g if part == "Q" else xp.zeros_like(q)
        gr = g if part == "R" else xp.zeros_like(r)
        k, n = r.shape[-2:]
        if q.shape[-1] == k == n:
            return (_qr_backward(xp, q, r, gq, gr),)
        if k > n:  # 'complete' with m > n: Q's last columns are not determined by A
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        gv = gr[..., k:]
        gx = _qr_backward(xp, q, r[..., :k], gq + (q @ r[..., k:]) @ _mT(gv), gr[..., :k])
        return (xp.concatenate([gx, q @ gv], axis=-1),)


class Pinv(Function):
    """out = A^+ (Moore-Penrose pseudo-inverse from the SVD, singular values below
    max(atol, rtol * s_max) dropped). Backward: torch's pinv_backward."""

    __slots__ = ()

    def forward(self, a, atol=0.0, rtol=None):
        xp = self.bk.xp
        m, n = a.shape[-2:]
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        if rtol is None:
            rtol = xp.finfo(a.dtype).eps * max(m, n) if not atol else 0.0
        smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else s[..., :1]
        cutoff = xp.maximum(atol, rtol * smax)
        keep = s > cutoff
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        out = (_mT(vh) * sinv[..., None, :]) @ _mT(u)
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, p = self.saved
        m, n = a.shape[-2:]
        ph, gh = _mT(p), _mT(g)
        if m <= n:
            k = gh @ p
            kph = k @ ph
            return (-_mT(p @ k) + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a),)
        k = p @ gh
        phk = ph @ k
        return (-_mT(k @ p) + (gh - a @ k) @ p @ ph + phk - phk @ p @ a,)


# ----------------------------------------------------------------------------- LU
def lu_arrays(xp, a):
    """LU with partial pivoting of a stack (..., m, n), as LAPACK's getrf: (LU packed, the
    unit-lower L's strict triangle and U's upper triangle in one m x n array; pivots, 1-based
    int32, row j swapped with row pivots[j] - 1 in turn; info, 0 or the first zero pivot's 1-based index)."""
    *batch, m, n = a.shape
    k = min(m, n)
    lu = a.reshape(int(_np.prod(batch)), m, n).copy()
    rows = xp.arange(lu.shape[0])
    pivots = xp.zeros((lu.shape[0], k), dtype=_np.int32)
    info = xp.zeros(lu.shape[0], dtype=_np.int32)
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)  # the first largest |value| (LAPACK's idamax)
        pivots[:, j] = p + 1
        row = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = row
        pivot = lu[:, j, j]
        zero = pivot == 0  # (then the column below is zero too: nothing to eliminate)
        info = xp.where((info == 0) & zero, j + 1, info).astype(_np.int32)
        lu[:, j + 1 :, j] /= xp.where(zero, 1, pivot)[:, None]
        lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j : j + 1] * lu[:, j : j + 1, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape(*batch, k), info.reshape(batch)


def lu_permutation(xp, pivots, m, dtype):
    """P (..., m, m) of A = P L U from getrf's pivots: P^T A is A with its rows swapped in turn."""
    k = pivots.shape[-1]
    piv = pivots.reshape(int(_np.prod(pivots.shape[:-1])), k) - 1
    rows = xp.arange(piv.shape[0])
    perm = xp.broadcast_to(xp.arange(m), (piv.shape[0], m)).copy()
    for j in range(k):
        row = perm[:, j].copy()
        perm[:, j] = perm[rows, piv[:, j]]
        perm[rows, piv[:, j]] = row
    p = xp.zeros((piv.shape[0], m, m), dtype=dtype)
    p[rows[:, None], perm, xp.arange(m)[None, :]] = 1  # (P^T A)[i] = A[perm[i]]
    return p.reshape(*pivots.shape[:-1], m, m)


def _rsolve(xp, a, b):
    """b a^-1."""
    return _mT(xp.linalg.solve(_mT(a), _mT(b)))


class LuFactor(Function):
    """out = the packed LU of A = P L U (lu and pivots computed by lu_arrays and passed in).
    Backward: torch's linalg_lu_backward with gL = tril(g, -1) and gU = triu(g); square:
    dA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, and its wide and tall forms."""

    __slots__ = ()

    def forward(self, a, lu=None, pivots=None):
        self.saved = (lu, pivots)
        return lu.copy()

    def backward(self, g):
        xp = self.bk.xp
        lu, pivots = self.saved
        m, n = lu.shape[-2:]
        k = min(m, n)
        low = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype)
        up = xp.triu(lu[..., :k, :])
        gl, gu = xp.tril(g[..., :, :k], -1), xp.triu(g[..., :k, :])
        if m == n:
            phi = xp.tril(_mT(low) @ gl, -1) + xp.triu(gu @ _mT(up))
            ga = _rsolve(xp, _mT(up), xp.linalg.solve(_mT(low), phi))
        elif m < n:  # A = P L [U1 | U2]
            x = _rsolve(xp, _mT(up[..., :k]), xp.tril(_mT(low) @ gl - gu @ _mT(up), -1))
            ga = xp.linalg.solve(_mT(low), xp.concatenate([x + gu[..., :k], gu[..., k:]], axis=-1))
        else:  # A = P [L1; L2] U
            x = xp.linalg.solve(_mT(low[..., :k, :]), xp.triu(gu @ _mT(up) - _mT(low) @ gl))
            ga = _rsolve(xp, _mT(up), xp.concatenate([x + gl[..., :k, :], gl[..., k:, :]], axis=-2))
        return (lu_permutation(xp, pivots, m, lu.dtype) @ ga,)
