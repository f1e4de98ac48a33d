"""Tensor ops at their edges, against torch: empty dim lists, permutations out of range, the
triangle a Cholesky factor is read from, triangles of vectors. Each case gives torch's values,
or raises an instance of torch's exception type."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from test_functional_edges import same_as_torch

import pyneuro as pn

torch = pytest.importorskip("torch")


def _x(T):
    return T.tensor([[1.0, 2.0], [3.0, 5.0]])


def _L(T):
    return T.tensor([[2.0, 7.0], [1.0, 3.0]])  # (not triangular: only one triangle is read)


CASES = {
    # dim=[] / dim=() is every dim (it divided by N - 1 = 0: inf)
    "var(dim=[])": lambda T: _x(T).var(dim=[]),
    "std(dim=())": lambda T: _x(T).std(dim=()),
    "var(x, [], unbiased=False)": lambda T: T.var(_x(T), [], unbiased=False),
    "std_mean(dim=[])": lambda T: T.std_mean(_x(T), dim=[])[0],
    "var_mean(dim=(), correction=0)": lambda T: T.var_mean(_x(T), dim=(), correction=0)[0],
    "var(dim=[], keepdim=True)": lambda T: _x(T).var(dim=[], keepdim=True),
    # permute: out-of-range dims raise (they wrapped around: a silent transpose)
    "permute(1, 2)": lambda T: _x(T).permute(1, 2),
    "permute(4, 3)": lambda T: _x(T).permute(4, 3),
    "permute(x, (-3, 0))": lambda T: T.permute(_x(T), (-3, 0)),
    "permute(0, 2)": lambda T: _x(T).permute(0, 2),
    "permute(0, 0)": lambda T: _x(T).permute(0, 0),
    "permute(0)": lambda T: _x(T).permute(0),
    "permute(-1, -2)": lambda T: _x(T).permute(-1, -2),
    # one triangle of the Cholesky factor
    "cholesky_inverse": lambda T: T.cholesky_inverse(_L(T)),
    "cholesky_inverse(upper=True)": lambda T: T.cholesky_inverse(_L(T), upper=True),
    "cholesky_solve": lambda T: T.cholesky_solve(T.tensor([[1.0], [2.0]]), _L(T)),
    "cholesky_solve(upper=True)": lambda T: T.cholesky_solve(T.tensor([[1.0], [2.0]]), _L(T), upper=True),
    # triangles need a matrix
    "tril of a vector": lambda T: T.tril(T.tensor([1.0, 2.0, 3.0])),
    "triu of a 0-d": lambda T: T.triu(T.tensor(1.0)),
    "Tensor.tril_ of a vector": lambda T: T.tensor([1.0, 2.0]).tril_(),
    # non-finite input
    "matrix_exp with an inf": lambda T: T.linalg.matrix_exp(T.tensor([[float("inf"), 1.0], [1.0, 1.0]])),
    "histogram with a NaN": lambda T: T.histogram(T.tensor([1.0, float("nan")]), bins=3)[0],
    "histc with a NaN": lambda T: T.histc(T.tensor([1.0, float("nan")]), bins=3),
    # exception types: torch's RuntimeError (or TypeError), not NumPy's ValueError / AttributeError
    "floor division of shapes that do not broadcast": lambda T: T.ones(3) // T.ones(4),
    "normal with mean and std that do not broadcast": lambda T: T.normal(T.ones(3), T.ones(4)),
    "histogram with 2-D bins": lambda T: T.histogram(T.ones(3), bins=T.ones(2, 2))[0],
    "mm by a number": lambda T: T.mm(T.ones(2, 2), 1),
    "masked_fill with a 1-D value": lambda T: T.zeros(2).masked_fill(
        T.tensor([True, False]), T.tensor([1.0])
    ),
    "fill_ with a 1-D value": lambda T: T.zeros(2).fill_(T.tensor([1.0])),
    "unique_consecutive of an empty tensor along dim 0": lambda T: T.unique_consecutive(
        T.tensor([], dtype=T.long), dim=0
    ),
    "unique_consecutive of (4, 0) along dim 1": lambda T: T.unique_consecutive(T.zeros(4, 0), dim=1),
    "bincount with weights of another length": lambda T: T.bincount(T.tensor([0, 1]), weights=T.ones(3)),
    "bincount with minlength -1": lambda T: T.bincount(T.tensor([0, 1]), minlength=-1),
    "equal to a list": lambda T: T.tensor(T.equal(T.ones(2), [1, 1])),
    "argmax over two dims": lambda T: T.ones(2, 2).argmax((0, 1)),
    "searchsorted in 0-d boundaries": lambda T: T.searchsorted(T.tensor(1.0), T.tensor([0.5])),
    # argument forms torch takes
    "squeeze(0, 2)": lambda T: T.zeros(1, 3, 1, 2).squeeze(0, 2),
    "count_nonzero(0, 2)": lambda T: T.ones(1, 3, 1, 2).count_nonzero(0, 2),
    "split(a 0-d tensor)": lambda T: T.arange(5.0).split(T.tensor(2))[-1],
    "normal_(0-d tensor mean)": lambda T: (
        T.manual_seed(0),
        T.zeros(3).normal_(T.tensor(1.0), T.tensor(2.0)),
    )[1],
}


@pytest.mark.parametrize("case", list(CASES))
def test_tensor_edge_matches_torch(case):
    same_as_torch(CASES[case], rtol=1e-5)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_gradient_is_dense_as_torchs(upper):
    grads = []
    for T in (pn, torch):
        L = T.tensor([[2.0, 0.5], [1.0, 3.0]], dtype=T.float64, requires_grad=True)
        b = T.tensor([[1.0], [2.0]], dtype=T.float64, requires_grad=True)
        T.cholesky_solve(b, L, upper=upper).sum().backward()
        grads.append((L.grad.numpy(), b.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ndtri_is_accurate_in_both_tails(dtype):
    """sqrt 2 erfinv(2p - 1) lost p below 1e-8 in float32 (-inf where torch gives -5.612)."""
    p = [1e-30, 1e-20, 1e-8, 1e-7, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-7, 0.0, 1.0, -0.1, 1.5]
    results = []
    for T in (pn, torch):
        x = T.tensor(p, dtype=getattr(T, dtype), requires_grad=True)
        y = T.special.ndtri(x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5)


def test_ndtri_far_in_the_float64_tail():
    x = pn.special.ndtri(pn.tensor([1e-300, 1e-200, 1e-100], dtype=pn.float64))
    theirs = torch.special.ndtri(torch.tensor([1e-300, 1e-200, 1e-100], dtype=torch.float64))
    np.testing.assert_allclose(x.numpy(), theirs.numpy(), rtol=1e-12)


INF, NAN = float("inf"), float("nan")

GRADIENTS = {
    "norm with an inf": lambda T: T.tensor([INF, 1.0, -2.0]).requires_grad_(),
    "norm(p=3) with an inf": lambda T: T.tensor([INF, 1.0, -2.0]).requires_grad_(),
    "norm of squares that overflow": lambda T: T.tensor([1e38, 1e38, 1.0]).requires_grad_(),
    "norm of zeros": lambda T: T.tensor([0.0, 0.0]).requires_grad_(),
    "sinc of tiny values": lambda T: T.tensor([1e-25, 1e-40, 0.0, 0.5]).requires_grad_(),
    "det with a NaN": lambda T: T.tensor(
        [[[1.0, NAN], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]]
    ).requires_grad_(),
}
FUNCTIONS = {
    "norm with an inf": lambda T, x: x.norm(),
    "norm(p=3) with an inf": lambda T, x: x.norm(p=3),
    "norm of squares that overflow": lambda T, x: T.linalg.vector_norm(x),
    "norm of zeros": lambda T, x: x.norm(),
    "sinc of tiny values": lambda T, x: T.sinc(x).sum(),
    "det with a NaN": lambda T, x: T.linalg.det(x).sum(),
}


@pytest.mark.parametrize("case", list(GRADIENTS))
def test_gradients_at_special_values_are_torchs(case):
    grads = []
    for T in (pn, torch):
        x = GRADIENTS[case](T)
        FUNCTIONS[case](T, x).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)


@pytest.mark.parametrize(
    "value, upper",
    [
        ([[4.0, 2.0], [100.0, 3.0]], True),
        ([[4.0, NAN], [2.0, 3.0]], False),
        ([[4.0, -7.0], [2.0, 3.0]], False),
    ],
)
def test_cholesky_reads_only_its_triangle(value, upper):
    results = []
    for T in (pn, torch):
        A = T.tensor(value, requires_grad=True)
        L = T.linalg.cholesky(A, upper=upper)
        L.sum().backward()
        results.append((L.detach().numpy(), A.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_a_numpy_linalg_failure_is_a_linalg_error():
    """NumPy's LinAlgError is a ValueError; it came out as a ShapeError, which
    `except torch.linalg.LinAlgError` does not catch."""
    with pytest.raises(pn.linalg.LinAlgError):
        pn.linalg.svdvals(pn.tensor([[float("nan"), 1.0], [1.0, 1.0]]))


NO_OPS = {
    "pad reflect 0": lambda T, x: T.nn.functional.pad(x, (0, 0), mode="reflect"),
    "pad replicate 0": lambda T, x: T.nn.functional.pad(x, (0, 0), mode="replicate"),
    "interpolate to the same size": lambda T, x: T.nn.functional.interpolate(x, size=4, mode="linear"),
    "interpolate by 1.2 keeping 4": lambda T, x: T.nn.functional.interpolate(
        x, scale_factor=1.2, mode="linear"
    ),
    "pixel_shuffle by 1": lambda T, x: T.nn.functional.pixel_shuffle(x.reshape(1, 1, 2, 2), 1),
    "pixel_unshuffle by 1": lambda T, x: T.nn.functional.pixel_unshuffle(x.reshape(1, 1, 2, 2), 1),
    "channel_shuffle in 1 group": lambda T, x: T.nn.functional.channel_shuffle(x.reshape(1, 1, 2, 2), 1),
    "matrix_power 1": lambda T, x: T.linalg.matrix_power(x.reshape(2, 2), 1),
    "diff n=0": lambda T, x: T.diff(x, n=0),
    "repeat(1, 1, 1)": lambda T, x: x.repeat(1, 1, 1),
    "tile(1)": lambda T, x: x.tile(1),
}


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("case", list(NO_OPS))
def test_an_op_that_changes_nothing_still_returns_a_tensor_of_its_own(case, grad):
    """torch's ops return new tensors even when they change nothing; pyneuro returned an alias
    of the input, so a write into the result changed the input (and its gradient: F.pad
    reflect by 0, then mul_, gave x.grad 4 where torch's is 3)."""
    results = []
    for T in (pn, torch):
        x = T.zeros(1, 1, 4, requires_grad=grad)
        a = x * 1 if grad else x
        y = NO_OPS[case](T, a)
        y.view(-1)[0] = 5.0
        results.append((a.reshape(-1).tolist(), y.reshape(-1).tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "case",
    [
        lambda T, x: x.expand(2, 2).add_(1),
        lambda T, x: x.expand(1, 2, 2).fill_(4),
        lambda T, x: x.expand_as(T.zeros(2, 2)).mul_(3),
        lambda T, x: T.broadcast_to(x, (1, 2, 2)).mul_(3),
    ],
)
def test_an_expand_that_repeats_nothing_is_writable(case):
    """expand to the same shape (or with new dims of size 1) repeats no element: torch lets it be
    written (pyneuro refused it as read-only)."""
    results = []
    for T in (pn, torch):
        x = T.ones(2, 2)
        case(T, x)
        results.append(x.tolist())
    assert results[0] == results[1]


OVERLAPS = {
    "x[1:] = x[:-1]": lambda T, x: x.__setitem__(slice(1, None), x[:-1]),
    "x[1:].add_(x[:-1])": lambda T, x: x[1:].add_(x[:-1]),
    "x[1:].copy_(x[:-1])": lambda T, x: x[1:].copy_(x[:-1]),
    "x.add_(x)": lambda T, x: x.add_(x),
    "x.copy_(x)": lambda T, x: x.copy_(x),
    "x[::2] = x[1::2]": lambda T, x: x.__setitem__(slice(None, None, 2), x[1::2]),
    "x[:2] = x[2:4]": lambda T, x: x.__setitem__(slice(0, 2), x[2:4]),
    "m.copy_(m.t())": lambda T, x: x[:4].view(2, 2).copy_(x[:4].view(2, 2).t()),
    "m.mul_(m[0])": lambda T, x: x[:4].view(2, 2).mul_(x[:4].view(2, 2)[0]),
    "m[:, 0] = m[:, 1]": lambda T, x: x[:4].view(2, 2).__setitem__((slice(None), 0), x[:4].view(2, 2)[:, 1]),
    # accepted by torch: a value that broadcasts (expanded first: not dense), or the same memory
    # the same way with a size-1 dim (x[None]'s stride 0 there)
    "x[:] = x[2]": lambda T, x: x.__setitem__(slice(None), x[2]),
    "m[...] = m[0]": lambda T, x: x[:4].view(2, 2).__setitem__(Ellipsis, x[:4].view(2, 2)[0]),
    "x[1:] = x[0]": lambda T, x: x.__setitem__(slice(1, None), x[0]),
    "m.unsqueeze(0).add_(m[None])": lambda T, x: x.view(2, 3).unsqueeze(0).add_(x.view(2, 3)[None]),
    "m.unsqueeze(0).add_(m.expand(1, 2, 3))": lambda T, x: (
        x.view(2, 3).unsqueeze(0).add_(x.view(2, 3).expand(1, 2, 3))
    ),
    "m[:, None] += m.unsqueeze(1)": lambda T, x: x.view(2, 3)[:, None].__iadd__(x.view(2, 3).unsqueeze(1)),
    # a row from a crossing column (NumPy's own copy read an element it had already written)
    "m[1] = m[:, 2]": lambda T, x: x[:4].view(2, 2).__setitem__(1, x[:4].view(2, 2)[:, 1]),
}


@pytest.mark.parametrize("case", list(OVERLAPS))
def test_a_write_from_partly_overlapping_memory_is_refused_as_torch(case):
    """torch refuses x[1:] = x[:-1] (RuntimeError); pyneuro computed it as if x[:-1] were a copy."""
    outcomes = []
    for T in (pn, torch):
        x = T.arange(6.0)
        try:
            OVERLAPS[case](T, x)
            outcomes.append(x.tolist())
        except RuntimeError:
            outcomes.append("RuntimeError")
    assert outcomes[0] == outcomes[1]


def test_del_of_an_element_is_a_type_error():
    for T in (pn, torch):
        t = T.ones(3)
        with pytest.raises(TypeError):
            del t[0]


@pytest.mark.parametrize("how", ["setitem", "copy_"])
def test_a_row_copied_from_a_crossing_column(how):
    """x[1] = x[:, 2]: NumPy's copy read x[1, 2] after writing it ([2, 10, 10, 14]); torch's
    gives [2, 6, 10, 14]. The source is copied first when its memory may overlap."""
    rows = []
    for T in (pn, torch):
        m = T.arange(16.0).reshape(4, 4)
        if how == "setitem":
            m[1] = m[:, 2]
        else:
            m[1].copy_(m[:, 2])
        rows.append(m.tolist())
    assert rows[0] == rows[1]


class _Reflected:
    """A class that knows how to be the right operand of every arithmetic operator."""

    def __radd__(self, other):
        return "radd"

    def __rsub__(self, other):
        return "rsub"

    def __rmul__(self, other):
        return "rmul"

    def __rtruediv__(self, other):
        return "rtruediv"

    def __rfloordiv__(self, other):
        return "rfloordiv"

    def __rmod__(self, other):
        return "rmod"

    def __rpow__(self, other):
        return "rpow"


_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv}
_OPS.update(floordiv=operator.floordiv, mod=operator.mod, pow=operator.pow)


@pytest.mark.parametrize("name", sorted(_OPS))
def test_an_unknown_operand_with_a_reflected_method_is_asked(name):
    """torch's binary ops return NotImplemented for an operand they do not know, so Python calls
    the operand's own __r<op>__ (pyneuro raised its TypeError first)."""
    for T in (torch, pn):
        assert _OPS[name](T.ones(2), _Reflected()) == f"r{name}"


@pytest.mark.parametrize("other", [None, object(), [1.0, 2.0], (1.0, 2.0)])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow"])
def test_an_unknown_operand_without_one_is_still_a_type_error(name, other):
    for T in (torch, pn):
        with pytest.raises(TypeError):
            _OPS[name](T.ones(2), other)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "float16", "float32"])
@pytest.mark.parametrize("how", ["median", "nanmedian"])
def test_the_median_of_nothing_keeps_the_dtype(how, dtype):
    """torch's NaN, in an integer dtype as x86 casts it (the lowest int32/int64, else 0); it was
    a float32 NaN whatever the input's dtype."""
    theirs = getattr(torch.tensor([], dtype=getattr(torch, dtype)), how)()
    ours = getattr(pn.tensor([], dtype=getattr(pn, dtype)), how)()
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1] == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


_NAN = float("nan")


@pytest.mark.parametrize(
    "bounds, values",
    [
        ([1.0, _NAN, 3.0], [0.0, 2.0, 4.0, _NAN, 1.0, 3.0]),
        ([_NAN, _NAN], [0.0, _NAN]),
        ([1.0, 2.0, _NAN], [0.0, 1.5, 2.0, 5.0, _NAN]),
        ([[1.0, _NAN, 3.0], [_NAN, 0.0, 1.0]], [[0.0, 2.0], [0.5, _NAN]]),
        ([1.0, 2.0, 3.0], [_NAN, 2.0]),
    ],
)
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_with_nan_boundaries_follows_torchs_comparisons(bounds, values, right):
    """torch's binary search compares with >= / > (which a NaN boundary fails); NumPy's sorts NaN
    last, and put 0. before [1, nan, 3] at 0 where torch says 2."""
    same_as_torch(lambda T: T.searchsorted(T.tensor(bounds), T.tensor(values), right=right))
    same_as_torch(
        lambda T: T.searchsorted(T.tensor([3.0, _NAN, 1.0]), T.tensor([2.0]), sorter=T.tensor([2, 0, 1]))
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.ones(3).eq("a"),
        lambda T: T.ones(3).lt("a"),
        lambda T: T.ones(3).ne(None),
        lambda T: T.eq(T.ones(3), [1.0, 2.0, 3.0]),
        lambda T: T.greater(T.ones(3), "a"),
        # a bool is no dim (Python's int subclass: it summed over dim 1)
        lambda T: T.ones(2, 3).sum(True),
        lambda T: T.ones(2, 3).softmax(True),
        lambda T: T.ones(2, 3).argmax(True),
        lambda T: T.ones(2, 3).max(True),
        lambda T: T.ones(2, 3).amax(True),
        lambda T: T.cat([T.ones(2), T.ones(2)], True),
    ],
)
def test_comparison_methods_and_bool_dims_are_type_errors(call):
    """x.eq("a") returned Python's NotImplemented (which is true); the operators keep returning it."""
    for T in (torch, pn):
        with pytest.raises(TypeError):
            call(T)
    assert (pn.ones(3) == "a") is False


@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.arange(6.0).reshape(3, 2).t() * 1,  # a result keeps its input's transposed layout
        lambda T: T.arange(6.0).reshape(3, 2).t().exp(),
        lambda T: T.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1) * 1,
    ],
)
def test_unfold_and_as_strided_read_a_permuted_result_in_memory_order(make):
    """as_strided's storage of a permuted dense result was its C-order copy: scrambled windows."""
    same_as_torch(lambda T: make(T).unfold(-1, 2, 1))
    same_as_torch(lambda T: make(T).as_strided((2, 2), (1, 2)))
    same_as_torch(lambda T: make(T)[1:].as_strided((2,), (2,)))

    def write_through_a_window(T):
        y = make(T)
        y.unfold(-1, 2, 1)[0, 0, ...] = 100.0
        return y

    same_as_torch(write_through_a_window)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True).max(0).indices.add_(1),
        lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True).min(0).indices.relu_(),
        lambda T: (T.tensor([1, -2, 3]) @ T.tensor([1, -2, 3])).add_(1),
        lambda T: T.dot(T.tensor([1, -2, 3]), T.tensor([1, -2, 3])).clamp_(0, 5),
    ],
)
def test_a_0d_index_or_integer_dot_product_can_be_changed_in_place(call):
    """They were NumPy scalars, which no in-place op can write (a TypeError)."""
    same_as_torch(call)


@pytest.mark.parametrize(
    "shapes",
    [((0, 1, 5), (1, 5, 1)), ((1, 0, 1, 3), (1, 1, 3, 0)), ((2, 0, 1, 2), (1, 2, 4)), ((0, 2, 3), (3,))],
)
def test_matmul_broadcasts_a_batch_dim_of_size_0_against_1(shapes):
    """1 against 0 broadcasts to 0 (the batch shape took the larger, 1: a ShapeError)."""
    same_as_torch(lambda T: T.matmul(T.ones(*shapes[0]), T.ones(*shapes[1])))


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.full((2,), "a"),
        lambda T: T.full((2,), None),
        lambda T: T.ones(3).fill_(None),
        lambda T: T.ones(3).fill_("a"),
        lambda T: T.ones(3).new_full((2,), None),
        lambda T: T.full_like(T.ones(3), "a"),
        lambda T: T.ones(3).__setitem__(0, None),
        lambda T: T.ones(3).__setitem__(0, "a"),
    ],
)
def test_a_fill_value_that_is_no_number_is_a_type_error(call):
    """None became NaN and a string NumPy's ValueError."""
    for T in (torch, pn):
        with pytest.raises(TypeError):
            call(T)


@pytest.mark.parametrize(
    "data",
    [
        [16777217, 2**63],  # NumPy makes this float64 (16777217 lost its last bit): torch's overflow
        [[1], [2**63]],
        [1.5, 2**70],  # a float among them: every number is a float, as torch's
        [[1.5], [2**70]],
        [-(2**63), 2**63 - 1],
        [1e19, 3],
    ],
)
def test_python_ints_beyond_int64(data):
    same_as_torch(lambda T: T.tensor(data))


def test_a_list_nested_too_deep_is_a_value_error():
    deep = [1.0]
    for _ in range(5000):
        deep = [deep]
    for T in (torch, pn):
        with pytest.raises(ValueError):
            T.tensor(deep)


@pytest.mark.parametrize(
    "call, kind",
    [
        (lambda T: T.nn.BatchNorm1d(3)(T.ones(2, 3, dtype=T.long)), NotImplementedError),
        (lambda T: T.ones(2, 3).index_select(1, T.tensor([[0]])), IndexError),
        (lambda T: T.cross(T.ones(3), T.ones(4)), RuntimeError),
        (lambda T: T.optim.SGD([T.ones(1, requires_grad=True)], lr=T.tensor([0.1, 0.2])), ValueError),
        (lambda T: T.ones(2).type("bogus"), ValueError),
        (lambda T: T.polygamma(1.5, T.ones(2)), TypeError),
    ],
)
def test_exception_types_of_misuse_as_torch(call, kind):
    for T in (torch, pn):
        with pytest.raises(kind):
            call(T)


def test_unfold_positions_are_made_only_when_needed():
    """as_strided's storage positions (two int64 arrays of the view's size) and its uniqueness check
    (a hash of every position: 1.9 s for unfold of 1e6 elements) ran at every unfold; overlapping
    windows are now told by their strides, and positions are made for a backward or a write only."""
    x = pn.randn(10_000, requires_grad=True)
    windows = x.unfold(0, 100, 1)  # overlapping: no positions, not a replayable view
    places = windows._node.saved[0]
    assert places._out is None and places._inp is None
    windows.sum().backward()
    assert places._out is not None
    np.testing.assert_array_equal(x.grad.numpy()[[0, 50, 99, 5000]], [1, 51, 100, 100])
    leaf = pn.arange(16.0, requires_grad=True)
    image = leaf.reshape(4, 4) * 1
    patches = image.unfold(0, 2, 2).unfold(1, 2, 2)  # disjoint windows: still a view writes go through
    patches[0, 0].zero_()
    assert image[:2, :2].sum().item() == 0 and image[0, 2].item() == 2
    image.sum().backward()  # the zeroed patch passes no gradient back
    assert leaf.grad.reshape(4, 4)[:2, :2].sum().item() == 0 and leaf.grad.sum().item() == 12


def test_the_scatter_add_by_bincount_equals_ufunc_at():
    """Gradients scattered into rows (an embedding's backward, index_add_, scatter_add) go through
    one bincount of flat positions instead of np.add.at (~10x slower): the same sums."""
    from pyneuro.autograd.function import _scatter_add

    rng = np.random.default_rng(0)
    cases = [
        ((5, 3), (rng.integers(-5, 5, (7, 3)), np.arange(3)[None, :]), (7, 3)),
        ((5, 3), rng.integers(-5, 5, 9), (9, 3)),
        ((2, 3, 4), rng.integers(0, 2, 6), (6, 3, 4)),
        (
            (2, 3, 4),
            (rng.integers(0, 2, (5, 1, 1)), rng.integers(0, 3, (1, 2, 1)), rng.integers(-4, 4, (1, 1, 3))),
            (5, 2, 3),
        ),
        ((5, 3), rng.integers(0, 5, (2, 2)), (2, 2, 3)),
    ]
    for shape, index, value_shape in cases:
        for dtype in (np.float32, np.float64):
            values = rng.standard_normal(value_shape).astype(dtype)
            ours, theirs = np.zeros(shape, dtype), np.zeros(shape, dtype)
            _scatter_add(np, ours, index, values)
            np.add.at(theirs, index, values)
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    with pytest.raises(IndexError):  # out of range: add.at's IndexError still
        _scatter_add(np, np.zeros((3, 2)), np.array([3]), np.ones((1, 2)))


@pytest.mark.parametrize(
    "call",
    [
        lambda T, y: y.split(1, 0)[0].tanh_(),
        lambda T, y: y.reshape(-1).split([1, 3])[1].sigmoid_(),
        lambda T, y: y.chunk(2)[1].exp_(),
        lambda T, y: T.ones(3).expand(2, 3).exp_(),
    ],
)
def test_unary_in_place_methods_follow_every_in_place_rule(call):
    """tanh_, sigmoid_, exp_, ... checked only the leaf rules: a split output or an expand()ed
    tensor changed in place computed where torch raises."""
    for T in (torch, pn):
        y = T.ones(2, 2, requires_grad=True) * 1
        with pytest.raises(RuntimeError):
            call(T, y)


def test_a_view_of_a_leaf_made_from_a_view_is_not_changed_in_place():
    """torch's rule is "a view that requires grad, of a leaf" (any leaf): x = o.t().requires_grad_()
    is a leaf viewing o, and x[0].mul_(3) raises; pyneuro asked whether o required grad."""
    for T in (torch, pn):
        for x in (T.ones(2, 3).t().requires_grad_(), T.ones(6, 2)[::2].requires_grad_()):
            with pytest.raises(RuntimeError, match="view of a leaf"):
                x[0].mul_(3)
        buffer = T.zeros(3)
        buffer[:2].add_(T.ones(2, requires_grad=True))  # a buffer filled from a graph: allowed
        assert buffer.requires_grad
