"""pyneuro.linalg against torch.linalg: values, gradients (torch.autograd as the oracle), batches,
dtypes and error types."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

INF = float("inf")
RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 4, 4))
B = RNG.standard_normal((2, 4, 3))
R = RNG.standard_normal((2, 5, 3))
SYM = A + A.swapaxes(-1, -2)
SPD = A @ A.swapaxes(-1, -2) + 4 * np.eye(4)


def check(fp, ft, *arrays, atol=1e-9, dtype=np.float64):
    """Run fp on pyneuro tensors and ft on torch tensors made from arrays; compare the values
    and the gradients of a random weighted sum of the output."""
    pa = [pn.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ta = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    po, to = fp(*pa), ft(*ta)
    assert tuple(po.shape) == tuple(to.shape)
    assert str(po.dtype).split(".")[-1] == str(to.dtype).split(".")[-1]
    np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), atol=atol, rtol=atol)
    w = RNG.standard_normal(tuple(to.shape)).astype(dtype)
    (po * pn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for p, t in zip(pa, ta):
        tg = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        np.testing.assert_allclose(p.grad.numpy(), tg, atol=atol * 10, rtol=atol * 10)


@pytest.mark.parametrize(
    "name, args",
    [
        ("det", (A,)),
        ("inv", (A,)),
        ("solve", (A, B)),
        ("pinv", (R,)),
        ("pinv", (R.swapaxes(-1, -2).copy(),)),
        ("svdvals", (R,)),
        ("matrix_exp", (A,)),
        ("matrix_exp", (3 * A,)),
    ],
)
def test_functions_match_torch(name, args):
    check(getattr(pn.linalg, name), getattr(torch.linalg, name), *args)


def test_det_float32_and_methods():
    check(pn.linalg.det, torch.linalg.det, A[0], dtype=np.float32, atol=1e-4)
    check(lambda a: a.det(), lambda a: a.det(), A)
    check(lambda a: a.inverse(), lambda a: a.inverse(), A)
    check(lambda a: pn.det(a), lambda a: torch.det(a), A)
    check(lambda a: a.logdet(), lambda a: a.logdet(), SPD)
    check(lambda a: pn.slogdet(a)[1], lambda a: torch.slogdet(a)[1], A)
    check(lambda a: a.pinverse(), lambda a: a.pinverse(), R)
    check(lambda a: a.matrix_power(3), lambda a: a.matrix_power(3), A)
    check(lambda a: pn.matrix_power(a, -2), lambda a: torch.matrix_power(a, -2), A)
    check(lambda a: pn.matrix_power(a, 0), lambda a: torch.matrix_power(a, 0), A)
    check(lambda a: a.matrix_exp(), lambda a: a.matrix_exp(), A[0])


def test_slogdet_sign_and_logdet_of_negative_det():
    m = np.array([[0.0, 1.0], [1.0, 0.0]])
    s, la = pn.linalg.slogdet(pn.tensor(m))
    ts, tla = torch.linalg.slogdet(torch.tensor(m))
    assert float(s) == float(ts) == -1.0 and float(la) == pytest.approx(float(tla))
    assert np.isnan(float(pn.logdet(pn.tensor(m))))
    assert float(pn.logdet(pn.zeros(2, 2))) == -INF
    assert float(pn.linalg.det(pn.zeros(0, 0))) == 1.0


def test_det_gradient_of_a_singular_matrix_is_the_adjugate():
    # torch gives zeros here; the true gradient (the cofactor matrix) is defined and pyneuro gives it
    a = pn.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=pn.float64, requires_grad=True)
    pn.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_solve_vector_broadcast_and_left():
    check(pn.linalg.solve, torch.linalg.solve, A[0], B[0, :, 0])
    check(pn.linalg.solve, torch.linalg.solve, A[0], B)
    check(
        lambda a, b: pn.linalg.solve(a, b, left=False),
        lambda a, b: torch.linalg.solve(a, b, left=False),
        A,
        B.swapaxes(-1, -2).copy(),
    )
    check(
        lambda a, b: pn.linalg.solve_triangular(a, b, upper=True),
        lambda a, b: torch.linalg.solve_triangular(a, b, upper=True),
        A + 4 * np.eye(4),
        B,
    )
    check(
        lambda a, b: pn.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        A,
        B.swapaxes(-1, -2).copy(),
    )


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    check(lambda a: pn.linalg.cholesky(a, upper=upper), lambda a: torch.linalg.cholesky(a, upper=upper), SPD)


def test_eigh_values_and_vectors():
    check(pn.linalg.eigvalsh, torch.linalg.eigvalsh, SYM)
    check(lambda a: pn.linalg.eigh(a).eigenvalues, lambda a: torch.linalg.eigh(a).eigenvalues, SYM)
    # eigenvectors are defined up to sign: compare |V|
    check(lambda a: pn.linalg.eigh(a)[1].abs(), lambda a: torch.linalg.eigh(a)[1].abs(), SYM)
    check(lambda a: pn.linalg.eigvalsh(a, UPLO="U"), lambda a: torch.linalg.eigvalsh(a, UPLO="U"), A)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_svd(full, wide):
    x = R.swapaxes(-1, -2).copy() if wide else R
    check(lambda a: pn.linalg.svd(a, full)[1], lambda a: torch.linalg.svd(a, full)[1], x)
    # singular vectors are defined up to sign: compare |U|, |Vh| on the first k = 3
    check(
        lambda a: pn.linalg.svd(a, full)[0][..., :3].abs(),
        lambda a: torch.linalg.svd(a, full)[0][..., :3].abs(),
        x,
    )
    check(
        lambda a: pn.linalg.svd(a, full).Vh[..., :3, :].abs(),
        lambda a: torch.linalg.svd(a, full).Vh[..., :3, :].abs(),
        x,
    )
    u, s, vh = pn.linalg.svd(pn.tensor(x), full)
    tu, _, tvh = torch.linalg.svd(torch.tensor(x), full)
    assert tuple(u.shape) == tuple(tu.shape) and tuple(vh.shape) == tuple(tvh.shape)


def test_qr():
    check(lambda a: pn.linalg.qr(a).Q, lambda a: torch.linalg.qr(a).Q, R)
    check(lambda a: pn.linalg.qr(a)[1], lambda a: torch.linalg.qr(a)[1], R)
    check(lambda a: sum(pn.linalg.qr(a)), lambda a: sum(torch.linalg.qr(a)), A)
    q, r = pn.linalg.qr(pn.tensor(R), mode="complete")
    assert tuple(q.shape) == (2, 5, 5) and tuple(r.shape) == (2, 5, 3)
    assert pn.linalg.qr(pn.tensor(R), mode="r").Q.numel() == 0


def test_lstsq_and_rank():
    check(
        lambda a, b: pn.linalg.lstsq(a, b).solution,
        lambda a, b: torch.linalg.lstsq(a, b).solution,
        R,
        R[..., :2],
    )
    res = pn.linalg.lstsq(pn.tensor(R), pn.tensor(R[..., :2] + 1), driver="gelsd")
    tres = torch.linalg.lstsq(torch.tensor(R), torch.tensor(R[..., :2] + 1), driver="gelsd")
    for p, t in zip(res, tres):
        np.testing.assert_allclose(p.numpy(), t.numpy(), atol=1e-9)
    assert pn.linalg.lstsq(pn.tensor(R), pn.tensor(R)).residuals.numel() == 0
    for m in (np.ones((3, 3)), np.eye(3), R, np.zeros((2, 2))):
        r, tr = pn.linalg.matrix_rank(pn.tensor(m)), torch.linalg.matrix_rank(torch.tensor(m))
        assert r.tolist() == tr.tolist() and r.dtype == pn.int64


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
def test_matrix_norm(ord):
    check(lambda a: pn.linalg.matrix_norm(a, ord), lambda a: torch.linalg.matrix_norm(a, ord), R)
    check(
        lambda a: pn.linalg.matrix_norm(a, ord, dim=(0, 2), keepdim=True),
        lambda a: torch.linalg.matrix_norm(a, ord, dim=(0, 2), keepdim=True),
        R,
    )
    check(lambda a: pn.linalg.norm(a, ord), lambda a: torch.linalg.norm(a, ord), R[0])


@pytest.mark.parametrize("ord", [0.5, 1, 2, 3, 0, INF, -INF, -1])
def test_vector_norm(ord):
    check(
        lambda a: pn.linalg.vector_norm(a, ord, dim=(0, 2)),
        lambda a: torch.linalg.vector_norm(a, ord, dim=(0, 2)),
        R,
    )
    check(lambda a: pn.linalg.norm(a, ord, dim=1), lambda a: torch.linalg.norm(a, ord, dim=1), R)
    if ord != 0:  # torch's dist(p=0) backward fails in torch itself
        check(lambda a: pn.dist(a, a[0] * 2, ord), lambda a: torch.dist(a, a[0] * 2, ord), R)


def test_norm_defaults_and_float32():
    x = R.astype(np.float32)
    assert float(pn.linalg.norm(pn.tensor(x))) == pytest.approx(
        float(torch.linalg.norm(torch.tensor(x))), rel=1e-6
    )
    assert pn.linalg.norm(pn.tensor(x), dim=(1, 2)).shape == (2,)
    check(pn.linalg.vector_norm, torch.linalg.vector_norm, R, dtype=np.float32, atol=1e-5)


def test_products():
    check(pn.linalg.cross, torch.linalg.cross, R, R[:1] * 2)
    check(
        lambda a, b: pn.linalg.cross(a, b, dim=0),
        lambda a, b: torch.linalg.cross(a, b, dim=0),
        R[0, :3],
        A[0, :3, :3],
    )
    check(
        lambda a, b, c: pn.linalg.multi_dot([a, b, c]),
        lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
        R[0, :, 0],
        R[0],
        B[0, :3],
    )
    check(lambda a, b: pn.linalg.vecdot(a, b), lambda a, b: torch.linalg.vecdot(a, b), R, R[0])
    check(lambda a: pn.linalg.diagonal(a, offset=1), lambda a: torch.linalg.diagonal(a, offset=1), R)
    check(
        lambda a: pn.linalg.diagonal(a, offset=-2, dim1=0),
        lambda a: torch.linalg.diagonal(a, offset=-2, dim1=0),
        R,
    )
    check(lambda a: pn.linalg.vander(a, N=4), lambda a: torch.linalg.vander(a, N=4), B[0, :, 0])


def test_errors_like_torch():
    with pytest.raises(RuntimeError, match="square"):
        pn.linalg.det(pn.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        pn.linalg.det(pn.ones(2, 2, dtype=pn.int64))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        pn.linalg.svdvals(pn.ones(3))
    with pytest.raises(pn.linalg.LinAlgError):
        pn.linalg.inv(pn.zeros(2, 2))
    with pytest.raises(pn.linalg.LinAlgError):
        pn.inverse(pn.zeros(2, 2))
    with pytest.raises(pn.linalg.LinAlgError):
        pn.linalg.cholesky(-pn.eye(2))
    with pytest.raises(pn.linalg.LinAlgError):
        pn.linalg.solve(pn.zeros(2, 2), pn.ones(2))
    assert issubclass(pn.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError):
        pn.linalg.cross(pn.ones(3), pn.ones(2, 3))
    with pytest.raises(RuntimeError):
        pn.linalg.cross(pn.ones(2), pn.ones(2))
    with pytest.raises(RuntimeError):
        pn.linalg.multi_dot([pn.ones(2, 2)])
    with pytest.raises(RuntimeError):
        pn.linalg.vector_norm(pn.ones(3, dtype=pn.int64))
    with pytest.raises(RuntimeError):
        pn.linalg.matrix_norm(pn.ones(3, 3), ord=3)


SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
NOT_PD = [[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 1.0]]


@pytest.mark.parametrize(
    "call",
    [
        lambda t, S: t.linalg.inv(t.tensor(S)),
        lambda t, S: t.tensor(S).inverse(),
        lambda t, S: t.linalg.inv(t.stack([t.eye(2), t.tensor(S)])),  # "(Batch element 1): "
        lambda t, S: t.linalg.inv(t.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])),  # pivot 3
        lambda t, S: t.linalg.inv(t.zeros(2, 2, 3, 3)),
        lambda t, S: t.linalg.inv_ex(t.tensor(S), check_errors=True),
        lambda t, S: t.linalg.solve(t.tensor(S), t.ones(2)),
        lambda t, S: t.linalg.solve(t.stack([t.eye(2), t.tensor(S)]), t.ones(2, 2)),
        lambda t, S: t.linalg.solve(t.tensor(S), t.ones(3, 2, 1)),  # (B's batch is not counted)
        lambda t, S: t.linalg.solve_ex(t.tensor(S), t.ones(2), check_errors=True),
        lambda t, S: t.linalg.cholesky(t.tensor(NOT_PD)),  # minor of order 2
        lambda t, S: t.linalg.cholesky(t.stack([t.eye(3), t.tensor(NOT_PD)]), upper=True),
        lambda t, S: t.linalg.cholesky(t.full((2, 2), float("nan"))),
        lambda t, S: t.cholesky(t.tensor(NOT_PD)),
        lambda t, S: t.linalg.cholesky_ex(t.stack([t.eye(3), t.tensor(NOT_PD)]), check_errors=True),
    ],
)
def test_linalg_error_class_and_message_like_torch(call):
    """torch's class (torch._C._LinAlgError: `type(e).__name__` and `repr(e)` print it) and its
    words: LAPACK's failing pivot / leading minor, the failing batch element, the op's own name."""
    with pytest.raises(torch.linalg.LinAlgError) as want:
        call(torch, SINGULAR)
    with pytest.raises(pn.linalg.LinAlgError) as got:
        call(pn, SINGULAR)
    assert repr(got.value) == repr(want.value)


def test_ex_info_is_lapacks_like_torch():
    """inv_ex / cholesky_ex report LAPACK's info (the zero pivot, the order of the failing minor)."""
    mats = np.array([np.eye(3), [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], NOT_PD], dtype=np.float32)
    for op in ("inv_ex", "cholesky_ex"):
        want = getattr(torch.linalg, op)(torch.tensor(mats)).info
        got = getattr(pn.linalg, op)(pn.tensor(mats)).info
        assert got.tolist() == want.tolist()
        want = getattr(torch.linalg, op)(torch.tensor(mats[2])).info
        assert getattr(pn.linalg, op)(pn.tensor(mats[2])).info.tolist() == want.tolist()


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, INF, -INF])
def test_cond(p):
    if p in (None, 2, -2):
        check(lambda a: pn.linalg.cond(a, p), lambda a: torch.linalg.cond(a, p), A, atol=1e-7)
        check(lambda a: pn.linalg.cond(a, p), lambda a: torch.linalg.cond(a, p), R, atol=1e-7)
    else:  # torch's own backward fails for these (an in-place op on inv's output): values only
        np.testing.assert_allclose(
            pn.linalg.cond(pn.tensor(A), p).numpy(), torch.linalg.cond(torch.tensor(A), p).numpy(), rtol=1e-9
        )
        stack = np.stack([np.eye(2) * 2, np.zeros((2, 2))])  # a singular matrix has condition number inf
        assert pn.linalg.cond(pn.tensor(stack), p).tolist() == pytest.approx(
            [float(torch.linalg.cond(torch.tensor(stack[0]), p)), INF]
        )


def test_tensorinv_tensorsolve():
    t = RNG.standard_normal((4, 6, 8, 3))
    check(lambda a: pn.linalg.tensorinv(a, ind=2), lambda a: torch.linalg.tensorinv(a, ind=2), t)
    b = RNG.standard_normal((4, 6))
    check(pn.linalg.tensorsolve, torch.linalg.tensorsolve, t.reshape(4, 6, 8, 3), b)
    a2 = RNG.standard_normal((3, 6, 2))
    check(
        lambda a, b: pn.linalg.tensorsolve(a, b, dims=(0,)),
        lambda a, b: torch.linalg.tensorsolve(a, b, dims=(0,)),
        a2,
        RNG.standard_normal(6),
    )
    with pytest.raises(RuntimeError):
        pn.linalg.tensorinv(pn.ones(2, 3), ind=1)


def test_inplace_change_after_use_is_caught():
    a = pn.tensor(SPD[0], requires_grad=True)  # det's backward reads the input
    b = a * 1
    out = pn.linalg.det(b)
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    for name in ("svdvals", "eigvalsh"):  # theirs reads the decomposition, as torch's: no error
        grads = []
        for lib in (pn, torch):
            a = lib.tensor(SPD[0], requires_grad=True)
            b = a * 1
            out = getattr(lib.linalg, name)(b)
            b.add_(1.0)
            out.sum().backward()
            grads.append(a.grad.numpy())
        np.testing.assert_allclose(*grads, atol=1e-12)
    for fn in (pn.linalg.inv, pn.linalg.cholesky):  # theirs reads the output only, as torch's
        a = pn.tensor(SPD[0], requires_grad=True)
        b = a * 1
        out = fn(b)
        b.add_(1.0)
        out.sum().backward()  # fine: the input is not read
        out = fn(a)
        out.mul_(2.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
