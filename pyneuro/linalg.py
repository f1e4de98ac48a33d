"""pyneuro.linalg: torch.linalg's names: norms, determinants, inverses, solvers and decompositions.

    pn.linalg.norm(v)                  # 2-norm of a vector, Frobenius norm of a matrix
    pn.linalg.vector_norm(x, ord=1)    # ord: any p, 0, inf, -inf
    pn.linalg.matrix_norm(m, "nuc")    # "fro", "nuc", 1, -1, 2, -2, inf, -inf
    pn.linalg.det(a), slogdet, inv, solve, lstsq, pinv, cholesky, qr, eigh, svd, svdvals, ...

Everything works on stacks of matrices (..., m, n) and is differentiable. The norms, cross,
multi_dot, matrix_power and matrix_exp are built from Tensor ops, so their gradients follow;
the decompositions are the autograd Functions of pyneuro/autograd/linalg.py, whose backward
formulas are torch's. A singular matrix where an inverse is needed raises LinAlgError, a
RuntimeError, as torch.linalg.LinAlgError is.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import return_types
from ._arguments import check_tensor_arguments
from ._dtype import torch_name
from ._errors import DTypeError, IndexRangeError, ShapeError, reworded
from ._householder import householder_product
from ._memory import check_allocation
from ._out import add_out_keyword
from ._shapes import normalize_dims, numpy_keywords, one_dim
from ._tensor_base import TensorBase, _backend, _wrap
from ._tensor_base import need_tensor as _need_tensor
from .autograd import linalg as _la
from .autograd.linalg import LinAlgError
from .autograd.shape import renamed, watch
from .creation import eye, tensor, zeros
from .functions import stack
from .tensor import Tensor

SlogdetResult = return_types.linalg_slogdet
EighResult = return_types.linalg_eigh
SvdResult = return_types.linalg_svd
QrResult = return_types.linalg_qr
LstsqResult = return_types.linalg_lstsq

_INF = float("inf")
# torch's node names for the decompositions with several outputs (what t.grad_fn prints)
_EIGH, _SVD, _QR = "LinalgEighBackward0", "LinalgSvdBackward0", "LinalgQrBackward0"


def _check(A, what, square=False, min_dim=2):
    """A as a floating Tensor of at least min_dim dims (square matrices if asked), with torch's errors."""
    if not isinstance(A, TensorBase):
        raise TypeError(f"linalg.{what}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < min_dim:
        raise ShapeError(f"linalg.{what}: The input tensor A must have at least {min_dim} dimensions.")
    if A._data.dtype.kind != "f":
        raise DTypeError(
            f"linalg.{what}: Expected a floating point or complex tensor as input. Got {torch_name(A._data.dtype)}"
        )
    if square and A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"linalg.{what}: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices"
        )
    return A


# ----------------------------------------------------------------------------- norms


@numpy_keywords
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """The ord-norm of x taken as a vector over dim (all elements when dim is None):
    sum(|x|^ord)^(1/ord); ord=inf/-inf: max/min |x|; ord=0: the number of non-zeros."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"linalg.vector_norm(): argument 'x' must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise DTypeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {torch_name(x._data.dtype)}"
        )
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    if ord in (_INF, -_INF) and x.numel() == 0:
        if dim is None or any(x.shape[d] == 0 for d in normalize_dims(dim, x.ndim)):
            message = (
                f"linalg.vector_norm cannot compute the {'' if ord > 0 else '-'}inf norm on an empty tensor "
                "because the operation does not have an identity"
            )
            raise IndexRangeError(message) if ord > 0 else RuntimeError(message)  # (as torch: two types)
    return x.norm(p=ord, dim=dim, keepdim=keepdim)


def _zeros_from(x) -> Tensor:
    """Zeros shaped like x, linked to x in the graph with a zero gradient (NaN-safe, unlike x * 0)."""
    return x.masked_fill(tensor(True, device=x.device), 0)


def _matrix_dims(A, dim, what):
    if len(dim) != 2:
        raise ShapeError(f"linalg.{what}: dim must be a 2-tuple. Got {tuple(dim)}")
    d0, d1 = one_dim(dim[0], A.ndim), one_dim(dim[1], A.ndim)  # in the order given
    if d0 == d1:
        raise ShapeError(f"linalg.{what}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


@numpy_keywords
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None) -> Tensor:
    """torch.linalg.matrix_norm: 'fro', 'nuc' (sum of singular values), 2/-2 (largest/smallest
    singular value), 1/-1 (max/min column abs-sum), inf/-inf (max/min row abs-sum)."""
    if dtype is not None:
        A = A.to(dtype)
    _check(A, "matrix_norm")
    d0, d1 = _matrix_dims(A, tuple(dim), "matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc":
        return A.norm("nuc", (d0, d1), keepdim)
    if ord in (2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, _INF, -_INF):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(dim=summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        out = out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return out


@numpy_keywords
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a vector norm when dim is an int (or A is 1-D), a matrix norm when dim
    is a pair (or A is 2-D and ord is given); ord None is the 2-norm of A flattened."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
            )
        dim = tuple(range(A.ndim))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord {ord!r} is a matrix norm; use a 2-D dim")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


# ----------------------------------------------------------------------------- determinants and inverses


def det(A) -> Tensor:
    """The determinant of each square matrix (gradient adj(A)^T, defined for singular A too)."""
    return renamed(_la.Det.apply(_check(A, "det", square=True)), "LinalgDetBackward0")


def slogdet(A) -> SlogdetResult:
    """(sign, log|det A|): the determinant without overflow; logabsdet is differentiable."""
    A = _check(A, "slogdet", square=True)
    sign = _wrap(_backend(A.device).xp.linalg.slogdet(A._data)[0], A.device)
    return SlogdetResult(sign, renamed(_la.LogDet.apply(A, signed=True), "LinalgSlogdetBackward0"))


def logdet(A) -> Tensor:
    """log(det A): nan where det < 0, -inf where det == 0, like torch.logdet."""
    return _la.LogDet.apply(_check(A, "logdet", square=True), signed=False)


def inv(A) -> Tensor:
    """A^-1; a singular matrix raises LinAlgError."""
    return renamed(_la.Inv.apply(_check(A, "inv", square=True)), "LinalgInvExBackward0")


def _ex(result_type, op, A, like, check_errors, per_matrix=None):
    """torch's *_ex form: (op's result, info), info an int32 0 per matrix; a failure raises only
    with check_errors=True, else gives NaNs shaped like `like` with LAPACK's info (the failing
    pivot or minor, which the error carries; 1 where it does not). per_matrix (op of one matrix):
    a batch is then redone matrix by matrix, so only the failing ones are NaN, as torch's."""
    info = zeros(tuple(A.shape[:-2]), dtype=np.int32, device=A.device)
    try:
        return result_type(op(), info)
    except LinAlgError as exc:
        if check_errors:  # (in torch's words the failure is the _ex op's: "linalg.inv_ex: ...")
            name = result_type.__name__.replace("linalg_", "linalg.")[: -len("_ex")]
            raise reworded(exc, f"{name}:", f"{name}_ex:") from None
        if per_matrix is None or A.ndim <= 2:
            return result_type(like.detach() * float("nan"), info + _la.info_of(exc))
    outs, failed = [], []
    for m in A.reshape(-1, *A.shape[-2:]):
        try:
            outs.append(per_matrix(m))
            failed.append(0)
        except LinAlgError as exc:
            outs.append(m.detach() * float("nan"))
            failed.append(_la.info_of(exc))
    info = tensor(failed, dtype=np.int32, device=A.device).reshape(tuple(A.shape[:-2]))
    return result_type(stack(outs).reshape(tuple(A.shape)), info)


def inv_ex(A, *, check_errors=False):
    """(inverse, info): inv without raising for a singular matrix (torch.linalg.inv_ex)."""
    A = _check(A, "inv_ex", square=True)
    return _ex(return_types.linalg_inv_ex, lambda: inv(A), A, A, check_errors, inv)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): cholesky without raising for a matrix that is not positive-definite."""
    A = _check(A, "cholesky_ex", square=True)
    return _ex(
        return_types.linalg_cholesky_ex,
        lambda: cholesky(A, upper=upper),
        A,
        A,
        check_errors,
        lambda m: cholesky(m, upper=upper),
    )


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): solve without raising for a singular A (torch.linalg.solve_ex). A batch
    with singular matrices is solved with identities in their place, then their results are
    NaN with info 1, so the other matrices keep their solutions, as torch's."""
    result = _ex(return_types.linalg_solve_ex, lambda: solve(A, B, left=left), A, B, check_errors)
    if A.ndim <= 2 or not result.info.any():
        return result
    info = _ex(return_types.linalg_inv_ex, lambda: inv(A), A, A, False, inv).info
    failed = info.bool()
    safe = eye(A.shape[-1], dtype=A.dtype, device=A.device).where(failed[..., None, None], A)
    X = solve(safe, B, left=left)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    mask = failed[..., None] if vector else failed[..., None, None]
    return return_types.linalg_solve_ex(X.masked_fill(mask, float("nan")), info)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse (singular values <= max(atol, rtol * s_max) are dropped;
    rtol defaults to eps * max(m, n) when atol is not given, as in torch). rcond: torch's older
    name for rtol (pinv(A, 1e-5) still works there)."""
    A = _check(A, "pinv")
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError(
                "linalg_pinv() received an invalid combination of arguments: rcond with atol or rtol"
            )
        rtol = rcond
    atol = float(atol) if atol is not None else 0.0
    return _saved_results(
        renamed(
            _la.Pinv.apply(A, atol=atol, rtol=None if rtol is None else float(rtol)), "LinalgPinvBackward0"
        )
    )[0]


def _saved_results(*parts):
    """The results of one torch node that saves them all (svd's U, S, Vh, eigh's, qr's, pinv's):
    each of pyneuro's nodes (one per part) watches every part, so an in-place change of one
    after the call raises at backward, as torch's does (backward here reads arrays of its own)."""
    for part in parts:
        watch(part, *parts)
    return parts


def _check_pair(A, B, what):
    _check(A, what, square=True)
    if not isinstance(B, TensorBase):
        raise TypeError(f"linalg.{what}(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A.dtype != B.dtype:
        raise DTypeError(
            f"linalg.{what}: Expected A and B to have the same dtype, but found A of type "
            f"{torch_name(A._data.dtype)} and B of type {torch_name(B._data.dtype)} instead"
        )


def solve(A, B, *, left=True) -> Tensor:
    """X with A X = B (left=False: X A = B). B may be a vector (..., n) or matrices (..., n, k);
    batch dimensions broadcast. A singular A raises LinAlgError."""
    _check_pair(A, B, "solve")
    if not left:
        return solve(A.mT, B.mT).mT
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != n:
        raise ShapeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{n} and {b.shape[-2]}x{b.shape[-1]})"
        )
    out = renamed(_la.Solve.apply(A, b), "LinalgSolveExBackward0")
    return out.squeeze(-1) if vector else out


def solve_triangular(A, B, *, upper, left=True, unitriangular=False) -> Tensor:
    """X with A X = B (left=False: X A = B) for triangular A (only its upper/lower triangle is read)."""
    _check_pair(A, B, "solve_triangular")
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        n = A.shape[-1]
        off = eye(n, dtype=A.dtype, device=A.device)
        tri = tri * (1 - off) + off
    # (torch's node saves A itself: an in-place change of it after this raises there)
    return watch(renamed(solve(tri, B, left=left), "LinalgSolveTriangularBackward0"), A)


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """The least-squares solution of A X = B (min ||A X - B||), from the pseudo-inverse.
    Like torch's default driver ('gelsy') residuals and singular_values are empty; with
    driver 'gelsd'/'gelss' they are filled (residuals when m > n and A has full rank)."""
    A = _check(A, "lstsq")
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise ShapeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got {A.shape[-2]} != {b.shape[-2]}"
        )
    m, n = A.shape[-2:]
    rtol = rcond if rcond is not None else float(np.finfo(A._data.dtype).eps) * max(m, n)
    sol = renamed(pinv(A, rtol=rtol) @ b, "LinalgLstsqBackward0")
    solution = _saved_results(sol.squeeze(-1) if vector else sol)[0]  # (torch's node saves it)
    rank = matrix_rank(A.detach(), rtol=rtol)
    empty = zeros(0, dtype=A.dtype, device=A.device)
    residuals, values = empty, empty
    if driver == "gels":  # QR: full rank assumed, no rank reported
        if not bool((rank == min(m, n)).all()):
            raise LinAlgError(
                "torch.linalg.lstsq: The least squares solution could not be computed because the input "
                "matrix does not have full rank"
            )
        rank = zeros(0, dtype=rank.dtype, device=A.device)
    elif driver in ("gelsd", "gelss"):
        values = svdvals(A.detach())
    if m > n and driver in ("gels", "gelsd", "gelss") and (driver == "gels" or bool((rank == n).all())):
        residuals = ((A @ sol - b) ** 2).sum(-2)
    return LstsqResult(solution, residuals, rank, values)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) (int64, no gradient).
    tol: torch's older absolute tolerance (atol=tol, rtol=0)."""
    A = _check(A, "matrix_rank")
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError(
                "linalg_matrix_rank() received an invalid combination of arguments: tol with atol or rtol"
            )
        atol, rtol = tol, 0.0
    s = svdvals(A.detach())
    m, n = A.shape[-2:]
    a = _tolerance(0.0 if atol is None else atol, s)  # (numbers or tensors: one per matrix of a batch)
    if rtol is None:  # torch: eps * max(m, n), or 0 where an atol > 0 is given
        eps = float(np.finfo(A._data.dtype).eps) * max(m, n)
        r = _tolerance(eps, s) if atol is None else (a <= 0).to(s.dtype) * eps
    else:
        r = _tolerance(rtol, s)
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s.sum(-1, keepdim=True)
    return (s > (smax * r).maximum(a)).sum(-1)


def _tolerance(value, s):
    """A tolerance (a number, or a tensor with one value per matrix) as s's dtype, shaped to compare
    with s's last dim."""
    t = (
        value.detach().to(s.dtype)
        if isinstance(value, TensorBase)
        else tensor(value, dtype=s.dtype, device=s.device)
    )
    return t.unsqueeze(-1) if t.ndim else t


def cond(A, p=None) -> Tensor:
    """The condition number of A in the p-norm: s_max / s_min for p None or 2 (-2: s_min / s_max),
    otherwise matrix_norm(A, p) * matrix_norm(inv(A), p) (square A only; inf for a singular one)."""
    A = _check(A, "cond")
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s.amax(-1), s.amin(-1)
        return big / small if p != -2 else small / big
    _check(A, "cond", square=True)
    host = np.asarray(_backend(A.device).to_numpy(A._data))
    flat = host.reshape(-1, *host.shape[-2:])
    singular = np.array([np.linalg.matrix_rank(m) < m.shape[-1] for m in flat], dtype=bool).reshape(
        host.shape[:-2]
    )
    if not singular.any():
        return matrix_norm(A, p) * matrix_norm(inv(A), p)
    mask = tensor(singular, device=A.device)
    safe = A.masked_fill(mask[..., None, None], 0) + eye(A.shape[-1], dtype=A.dtype, device=A.device) * mask[
        ..., None, None
    ].to(A.dtype)
    return (matrix_norm(A, p) * matrix_norm(inv(safe), p)).masked_fill(mask, float("inf"))


def tensorinv(A, ind=2) -> Tensor:
    """The inverse of A taken as a matrix from its first `ind` dimensions to the others:
    tensordot(tensorinv(A), A, ind) is the identity; the result has shape A.shape[ind:] + A.shape[:ind]."""
    _need_tensor(A, "linalg_tensorinv")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n, m = math.prod(rows), math.prod(cols)
    if n != m:
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {m} != {n}"
        )
    return inv(A.reshape(n, m)).reshape(*cols, *rows)


def tensorsolve(A, B, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) == B: A's last dimensions (after moving `dims` there) are X's."""
    if dims is not None:
        dims = normalize_dims(dims, A.ndim)
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*rest, *dims)
    x_shape = tuple(A.shape[B.ndim :])
    n = B.numel()
    if math.prod(x_shape) != n:
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got {math.prod(x_shape)} != {n}"
        )
    return solve(A.reshape(n, n), B.reshape(n)).reshape(*x_shape)


# ----------------------------------------------------------------------------- decompositions


def cholesky(A, *, upper=False) -> Tensor:
    """L (lower-triangular) with A = L L^T for a symmetric positive-definite A (upper=True: L^T);
    a matrix that is not positive-definite raises LinAlgError."""
    return renamed(
        _la.Cholesky.apply(_check(A, "cholesky", square=True), upper=upper), "LinalgCholeskyExBackward0"
    )


def eigh(A, UPLO="L") -> EighResult:
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric A, reading its UPLO triangle."""
    A = _check(A, "eigh", square=True)
    upper = _uplo(UPLO)
    return EighResult(
        *_saved_results(
            *(renamed(_la.Eigh.apply(A, part=p, upper=upper), _EIGH) for p in ("values", "vectors"))
        )
    )


def eigvalsh(A, UPLO="L") -> Tensor:
    """The eigenvalues of a symmetric A, ascending."""
    return _saved_results(
        renamed(_la.Eigh.apply(_check(A, "eigvalsh", square=True), part="values", upper=_uplo(UPLO)), _EIGH)
    )[0]


def _no_complex_results(A, name):
    """torch.linalg.eig/eigvals return complex tensors (complex64 for float32 input), even for a
    real spectrum, and pyneuro has no complex dtype: a clear refusal, never real parts passed off
    as the result. A symmetric matrix has a real spectrum: eigh/eigvalsh."""
    _check(A, name, square=True)
    raise NotImplementedError(
        f"linalg.{name}: the result is complex (torch returns complex64/complex128 tensors), and pyneuro "
        "has no complex dtype; for a symmetric (Hermitian) matrix use linalg.eigh / linalg.eigvalsh"
    )


def eig(A):
    """torch.linalg.eig: refused (complex results; _no_complex_results)."""
    _no_complex_results(A, "eig")


def eigvals(A):
    """torch.linalg.eigvals: refused (complex results; _no_complex_results)."""
    _no_complex_results(A, "eigvals")


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "U"


def svd(A, full_matrices=True, *, driver=None) -> SvdResult:
    """(U, S, Vh) with A = U diag(S) Vh, singular values descending (full_matrices=True: U is
    m x m and Vh n x n, whose extra columns/rows get no gradient, as in torch)."""
    A = _check(A, "svd")
    return SvdResult(
        *_saved_results(
            *(renamed(_la.Svd.apply(A, part=p, full=full_matrices), _SVD) for p in ("U", "S", "Vh"))
        )
    )


def svdvals(A, *, driver=None) -> Tensor:
    """The singular values, descending (gradient U diag(g) Vh)."""
    return _saved_results(renamed(_la.Svd.apply(_check(A, "svd"), part="S", full=False), _SVD))[0]


def qr(A, mode="reduced") -> QrResult:
    """(Q, R) with A = Q R; mode 'reduced', 'complete' or 'r' (R only, Q empty)."""
    A = _check(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    if mode == "r":
        return QrResult(
            zeros(0, dtype=A.dtype, device=A.device), renamed(_la.Qr.apply(A, part="R", mode="r"), _QR)
        )
    return QrResult(*_saved_results(*(renamed(_la.Qr.apply(A, part=p, mode=mode), _QR) for p in ("Q", "R"))))


# ----------------------------------------------------------------------------- products and powers


def cross(input, other, *, dim=-1) -> Tensor:
    """The cross product of 3-vectors along dim (inputs broadcast)."""
    _need_tensor(input, "linalg_cross")
    _need_tensor(other, "linalg_cross", "other", 2)
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {input.ndim} and {other.ndim}"
        )
    if input.dtype != other.dtype:  # (torch's kernel takes one dtype: int64 x float32 is refused)
        raise DTypeError(f"expected scalar type {input.dtype.torch_name} but found {other.dtype.torch_name}")
    d = one_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ShapeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and {other.shape[d]}"
        )
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))  # (1 against 0 is 0)
    except ValueError:
        raise ShapeError(
            f"linalg.cross: shapes {tuple(input.shape)} and {tuple(other.shape)} do not broadcast"
        ) from None
    return _la.Cross.apply(input, other, d=d)  # (its node saves both, as torch's)


def vecdot(x, y, *, dim=-1) -> Tensor:
    """The dot product of x and y along dim (broadcasting)."""
    return (x * y).sum(dim)


def multi_dot(tensors) -> Tensor:
    """tensors[0] @ tensors[1] @ ...; the first may be a row vector and the last a column vector (1-D)."""
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        edge = i in (0, len(tensors) - 1)
        if t.ndim != 2 and not (edge and t.ndim == 1):
            raise ShapeError(
                f"multi_dot(): tensor {i} must be 2D{' or 1D' if edge else ''} but got {t.ndim}D"
            )
    # torch's order of the products: for three the cheaper pairing first, for more the cheapest
    # chain (the same values to the last bit, and the same operands saved by the same nodes)
    mats = [t.unsqueeze(0) if i == 0 and t.ndim == 1 else t for i, t in enumerate(tensors)]
    mats[-1] = mats[-1].unsqueeze(1) if mats[-1].ndim == 1 else mats[-1]
    if len(mats) == 2:
        out = mats[0] @ mats[1]
    elif len(mats) == 3:
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        out = (
            mats[0] @ (mats[1] @ mats[2])
            if a * c * (b + d) > b * d * (a + c)
            else (mats[0] @ mats[1]) @ mats[2]
        )
    else:
        out = _chain(mats, _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]]), 0, len(mats) - 1)
    shape = out.shape[int(tensors[0].ndim == 1) : out.ndim - int(tensors[-1].ndim == 1)]
    return out.view(shape)  # (torch's result is a view of the product, ViewBackward0, whatever the shapes)


def _chain_order(p: list) -> list:
    """torch's matrix_chain_order: split[i][j] = where the cheapest product of matrices i..j
    (matrix i being p[i] x p[i + 1]) splits, the first of equal costs."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain(mats: list, split: list, i: int, j: int):
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain(mats, split, i, k) @ _chain(mats, split, k + 1, j)


def matrix_power(A, n) -> Tensor:
    """A^n for an integer n by repeated squaring (n = 0: the identity; n < 0: inv(A)^-n)."""
    _need_tensor(A, "linalg_matrix_power")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are {tuple(A.shape[-2:])} matrices"
        )
    if n == 0:
        ident = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        return ident + _zeros_from(A) if A.requires_grad else ident.expand(*A.shape).clone()
    if n < 0:
        A, n = inv(A), -n
    if n == 3:  # (torch's order for 3: the same products saved by the same nodes)
        return (A @ A) @ A
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result.clone() if result is A else result  # (n = 1: a tensor of its own, as torch's)


def matrix_exp(A) -> Tensor:
    """exp(A) = sum_k A^k / k!, by scaling and squaring: the Taylor series of A / 2^s
    (||A / 2^s|| <= 1/2, 18 terms: exact to float64 rounding), squared s times."""
    given, A = A, _check(A, "matrix_exp", square=True)
    size = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    if not math.isfinite(size):  # (an inf or NaN entry: NaN everywhere, as torch)
        return renamed(A * float("nan"), "LinalgMatrixExpBackward0")
    s = builtins.max(0, math.ceil(math.log2(size)) + 1) if size > 0 else 0
    x = A / (2**s)
    ident = eye(A.shape[-1], dtype=A.dtype, device=A.device)
    term, out = x, ident + x
    for k in range(2, 19):
        term = (term @ x) / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return watch(renamed(out, "LinalgMatrixExpBackward0"), given)  # (torch's node saves A)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """The diagonal `offset` of the matrices over (dim1, dim2), as a last dimension (Tensor.diagonal)."""
    return _need_tensor(A, "linalg_diagonal", "A").diagonal(offset, dim1, dim2)


def vander(x, *, N=None) -> Tensor:
    """torch.linalg.vander: columns x^0, x^1, ..., x^(N-1) (increasing powers)."""
    _need_tensor(x, "linalg_vander", "x")
    n = x.shape[-1] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    itemsize = 8 if x._data.dtype.kind == "b" else x.element_size()  # (bools give int64)
    check_allocation(x.numel() * n * itemsize, "linalg_vander")  # (N = 2**40: at once, not N products)
    cols = [x**0 if x._data.dtype.kind != "b" else x.long()] if n else []
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    if not cols:
        return zeros(*x.shape, 0, dtype=x.dtype, device=x.device)
    from .functions import stack

    return stack(cols, dim=-1)


# ----------------------------------------------------------------------------- LU
def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): A = P L U with partial pivoting, L (unit lower) and U packed in one
    matrix, pivots LAPACK's 1-based int32 row swaps; info > 0 names a zero pivot (U singular)."""
    A = _check(A, "lu_factor_ex")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, pivots, info = _la.lu_arrays(_backend(A.device).xp, A._data)
    info = _wrap(info, A.device)
    if check_errors and bool((info > 0).any()):
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{int(info.max())},{int(info.max())}] is zero")
    return return_types.linalg_lu_factor_ex(
        renamed(_la.LuFactor.apply(A, lu=lu, pivots=pivots), "LinalgLuFactorExBackward0"),
        _wrap(pivots, A.device),
        info,
    )


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of lu_factor_ex, raising LinAlgError where U has a zero on its diagonal (as torch)."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    if bool((info > 0).any()):
        i = int(info.max())
        raise LinAlgError(
            f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve would result in a division by "
            "zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)"
        )
    return return_types.linalg_lu_factor(LU, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's packed form; L and U keep LU_data's gradient (empty when not unpacked)."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = zeros(0, dtype=LU_data.dtype, device=LU_data.device)
    P, L, U = empty, empty, empty
    if unpack_pivots:
        xp = _backend(LU_data.device).xp
        P = _wrap(_la.lu_permutation(xp, LU_pivots._data, m, LU_data._data.dtype), LU_data.device)
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + eye(m, k, dtype=LU_data.dtype, device=LU_data.device)
        U = LU_data[..., :k, :].triu()
    return return_types.lu_unpack(P, L, U)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P a permutation, L unit lower (m x k), U upper (k x n), k = min(m, n)."""
    A = _check(A, "lu")
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    P, L, U = lu_unpack(LU, pivots)
    return return_types.linalg_lu(P, renamed(L, "LinalgLuBackward0"), renamed(U, "LinalgLuBackward0"))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False) -> Tensor:
    """X with A X = B from A's lu_factor (left=False: X A = B; adjoint=True: A^T in A's place)."""
    _check(LU, "lu_solve", square=True)
    if not isinstance(B, TensorBase) or B.ndim < 2:
        raise ShapeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    if not left:  # X A = B is A^T X^T = B^T
        return renamed(lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT, "LinalgLuSolveBackward0")
    P, L, U = lu_unpack(LU, pivots)
    if adjoint:  # A^T = U^T L^T P^T
        y = solve_triangular(L.mT, solve_triangular(U.mT, B, upper=False), upper=True, unitriangular=True)
        return renamed(P @ y, "LinalgLuSolveBackward0")
    out = solve_triangular(U, solve_triangular(L, P.mT @ B, upper=False, unitriangular=True), upper=True)
    return renamed(out, "LinalgLuSolveBackward0")


def matmul(input, other) -> Tensor:
    return input @ other


__all__ = [
    "tensorsolve",
    "tensorinv",
    "cond",
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigvals",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "solve_ex",
    "inv_ex",
    "cholesky_ex",
    "vander",
    "vecdot",
    "vector_norm",
    "householder_product",
]

# torch.linalg's functions take out= too (torch.linalg.inv(A, out=B)), by _out.py's one rule
add_out_keyword(globals(), [name for name in __all__ if name != "LinAlgError"])
check_tensor_arguments(globals(), __name__)  # (a list where a Tensor goes: torch's TypeError, _arguments.py)
