"""einsum: Einstein summation, built from ops autograd already knows (pn.einsum).

    pn.einsum("ij,jk->ik", a, b)        # a @ b
    pn.einsum("bij,bjk->bik", a, b)     # batched matmul
    pn.einsum("ii->i", a)               # the diagonal
    pn.einsum("...d,...d->...", a, b)   # a dot product over the last dimension

How it computes, so that its gradient comes for free and big contractions stay matmuls:
  1. each operand alone: a label repeated within it (ii) keeps the diagonal (times an identity
     mask, summed over the second copy); a label no other operand and not the output uses is
     summed out;
  2. operands are contracted left to right, two at a time, as one batched matmul: the labels
     both share and still need are the batch, the shared ones nobody needs any more are the
     k of the matmul, the others are its rows and columns (permute + reshape, `@`, reshape);
  3. the result is permuted into the output's order.
Every step is a differentiable op (mul, sum, permute, reshape, expand, matmul), so backward is
theirs. Labels are letters; `...` stands for the dimensions the letters do not name (broadcast
like NumPy's, right-aligned); without `->` the output is `...` then the letters used once, in
alphabetical order, as in torch.
"""

from __future__ import annotations

from ._errors import ArgumentError
from ._tensor_base import TensorBase
from .creation import eye


def _fail(message):
    raise ArgumentError(f"einsum(): {message}")


def _parse(equation: str, operands):
    """-> (labels of each operand as lists of str, output labels). '...' becomes labels '.0', '.1', ..."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        _fail("fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        _fail("more operands were provided than specified in the equation")
    n_ell = 0
    parsed = []
    for i, (term, op) in enumerate(zip(terms, operands)):
        letters = term.replace("...", "")
        if any(not c.isalpha() for c in letters) or term.count("...") > 1 or "." in letters:
            _fail(f"invalid subscript given in the equation string: {term!r}")
        if "..." in term:
            k = op.ndim - len(letters)
            if k < 0:
                _fail(
                    f"the number of subscripts in the equation ({len(letters)}) is more than the number of dimensions ({op.ndim}) for operand {i}"
                )
            n_ell = max(n_ell, k)
            head, _, tail = term.partition("...")
            labels = list(head) + [None] * k + list(tail)  # None: an ellipsis dim, named below
        else:
            if len(letters) != op.ndim:
                _fail(
                    f"the number of subscripts in the equation ({len(letters)}) does not match the number of dimensions ({op.ndim}) for operand {i} and no ellipsis was given"
                )
            labels = list(term)
        parsed.append(labels)
    ell = [f".{j}" for j in range(n_ell)]
    for labels in parsed:  # ellipsis dims align to the right
        k = sum(lab is None for lab in labels)
        names = iter(ell[n_ell - k :])
        labels[:] = [next(names) if lab is None else lab for lab in labels]
    if arrow:
        if rhs.count("...") > 1 or any(not c.isalpha() for c in rhs.replace("...", "")):
            _fail(f"invalid subscript given in the equation string: {rhs!r}")
        head, dots, tail = rhs.partition("...")
        out = list(head) + (ell if dots else []) + list(tail)
        used = {lab for labels in parsed for lab in labels}
        for lab in out:
            if out.count(lab) > 1:
                _fail(f"output subscript {lab} appears more than once in the output")
            if lab not in used:
                _fail(f"output subscript {lab} does not appear in the equation for any input operand")
    else:
        counts = {}
        for labels in parsed:
            for lab in labels:
                counts[lab] = counts.get(lab, 0) + 1
        out = ell + sorted(lab for lab, c in counts.items() if c == 1 and not lab.startswith("."))
    return parsed, out


def _sizes(parsed, operands):
    """Each label's size; 1 broadcasts against n (ellipsis dims), anything else must agree."""
    size = {}
    for i, (labels, op) in enumerate(zip(parsed, operands)):
        for lab, n in zip(labels, op.shape):
            seen = size.get(lab)
            if seen is None or seen == 1:
                size[lab] = n
            elif n != seen and n != 1:
                _fail(
                    f"subscript {lab} has size {n} for operand {i} which does not broadcast with previously seen size {seen}"
                )
    return size


def _diagonal(t, labels):
    """Collapse labels repeated within one operand onto their diagonal (ii -> i)."""
    while len(set(labels)) < len(labels):
        lab = next(lab for lab in labels if labels.count(lab) > 1)
        p = labels.index(lab)
        q = labels.index(lab, p + 1)
        n = t.shape[p]
        shape = [1] * t.ndim
        shape[p] = shape[q] = n
        t = (t * eye(n, dtype=t.dtype, device=t.device).reshape(shape)).sum(q)
        labels = labels[:q] + labels[q + 1 :]
    return t, labels


def _contract(a, la, b, lb, keep, size):
    """a (labels la) and b (lb) -> their product over the shared labels not in `keep`."""
    batch = [lab for lab in la if lab in lb and lab in keep]
    summed = [lab for lab in la if lab in lb and lab not in keep]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]

    def arrange(t, labels, order, groups):
        t = t.permute(*[labels.index(lab) for lab in order]) if order != labels else t
        full = [size[lab] for lab in order]
        if list(t.shape) != full:  # a broadcast (size-1) ellipsis dim
            t = t.expand(*full)
        shape = []
        for group in groups:
            n = 1
            for lab in group:
                n *= size[lab]
            shape.append(n)
        return t.reshape(*shape)

    a3 = arrange(a, la, batch + left + summed, (batch, left, summed))
    b3 = arrange(b, lb, batch + summed + right, (batch, summed, right))
    out = a3 @ b3
    labels = batch + left + right
    return out.reshape(*[size[lab] for lab in labels]), labels


def _from_sublists(args):
    """(equation, operands) of torch's sublist form: operand, its labels as ints in [0, 52)
    (Ellipsis for '...'), ..., then optionally the output's labels."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def word(sublist):
        out = []
        for lab in sublist:
            if lab is Ellipsis:
                out.append("...")
            elif isinstance(lab, int) and 0 <= lab < len(letters):
                out.append(letters[lab])
            else:
                _fail(f"subscript in subscript list is not within the valid range [0, 52), got {lab!r}")
        return "".join(out)

    n = len(args) // 2 * 2
    operands, inputs = args[0:n:2], ",".join(word(s) for s in args[1:n:2])
    if len(args) % 2:  # the output's sublist comes last
        return inputs + "->" + word(args[-1]), operands
    return inputs, operands  # no output sublist: the implicit output


def einsum(equation, *operands):
    """Einstein summation over the operands' labelled dimensions, like torch.einsum."""
    if isinstance(equation, TensorBase):  # the sublist form: einsum(a, [0, 1], b, [1, 2], [0, 2])
        equation, operands = _from_sublists((equation, *operands))
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])  # torch.einsum(eq, [a, b]) also works
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, got {type(equation).__name__}")
    if not operands:
        _fail("must provide at least one operand")
    for i, op in enumerate(operands):
        if not isinstance(op, TensorBase):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, got {type(op).__name__}")
    parsed, out = _parse(equation, operands)
    size = _sizes(parsed, operands)
    terms = []
    for i, (t, labels) in enumerate(zip(operands, parsed)):
        t, labels = _diagonal(t, list(labels))
        elsewhere = set(out).union(*(set(p) for j, p in enumerate(parsed) if j != i))
        alone = [labels.index(lab) for lab in labels if lab not in elsewhere]
        if alone:
            t = t.sum(tuple(alone))
            labels = [lab for lab in labels if lab in elsewhere]
        terms.append((t, labels))
    result, labels = terms[0]
    for k in range(1, len(terms)):
        t, lt = terms[k]
        keep = set(out).union(*(set(p) for _, p in terms[k + 1 :]))
        result, labels = _contract(result, labels, t, lt, keep, size)
    # every label left is an output label (the others were summed alone or contracted)
    if labels != out:
        result = result.permute(*[labels.index(lab) for lab in out])
    return result
