"""Indexing, assignment, autograd-API and optimizer/scheduler call forms, each run with torch and
pyneuro and compared: values (and gradients), trajectories, or the exception type."""

from __future__ import annotations

import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    def X():
        return torch.arange(24.0).reshape(2, 3, 4)

    def setr(f):
        z = X()
        f(z)
        return z

    return {
        "adv_cols": lambda: X()[:, [0, 2]],
        "adv_rows_t": lambda: X()[torch.tensor([1, 0]), :],
        "adv_pair": lambda: X()[[0, 1], [1, 2]],
        "adv_pair_slice": lambda: X()[[0, 1], :, [1, 3]],
        "adv_broadcast": lambda: X()[torch.tensor([[0], [1]]), torch.tensor([0, 2])],
        "bool_last": lambda: X()[..., torch.tensor([True, False, True, False])],
        "bool_2d": lambda: X()[X().sum(-1) > 20],
        "int_neg": lambda: X()[-1, -2],
        "none_mid": lambda: X()[:, None, 1].shape,
        "step2": lambda: X()[:, ::2, 1::2],
        "tensor0d_idx": lambda: X()[torch.tensor(1)],
        "bool_scalar_idx": lambda: X()[True].shape,
        "empty_list_idx": lambda: X()[[]].shape,
        "set_mask_t": lambda: setr(lambda z: z.__setitem__(z > 20, torch.tensor(-1.0))),
        "set_cols_bcast": lambda: setr(
            lambda z: z.__setitem__((slice(None), [0, 2]), torch.tensor([7.0, 8.0, 9.0, 10.0]))
        ),
        "iadd_slice": lambda: setr(lambda z: z[..., 1:].__iadd__(1)),
        "imul_mask": lambda: setr(lambda z: z.__setitem__(z > 10, z[z > 10] * 2)),
        "set_adv_dup": lambda: setr(lambda z: z.__setitem__((0, [0, 0], 0), torch.tensor([5.0, 6.0]))),
        "index_put_acc": lambda: torch.zeros(3).index_put_(
            (torch.tensor([0, 0, 2]),), torch.tensor(1.0), accumulate=True
        ),
        "neg_step": lambda: X()[::-1],
        "oob_set": lambda: setr(lambda z: z.__setitem__(5, 0)),
        "float_idx": lambda: X()[1.0],
        "grad_adv": lambda: (
            lambda w: ((w[[0, 0, 1]] * torch.tensor([[1.0], [2.0], [3.0]])).sum().backward(), w.grad)[1]
        )(torch.ones(2, 2, requires_grad=True)),
        "grad_mask": lambda: (lambda w: ((w[w > 0.5] ** 2).sum().backward(), w.grad)[1])(
            torch.tensor([0.2, 0.7, 1.0], requires_grad=True)
        ),
        "grad_setitem": lambda: (
            lambda w: (lambda z: (z.__setitem__(0, w[1] * 3), z.sum().backward(), w.grad)[2])(w * 1)
        )(torch.tensor([1.0, 2.0], requires_grad=True)),
        "autograd_grad": lambda: torch.autograd.grad(
            (torch.tensor([1.0, 2.0], requires_grad=True) ** 2).sum(),
            [torch.tensor([1.0], requires_grad=True)],
            allow_unused=True,
        ),
        "autograd_grad_outputs": lambda: (
            lambda a: torch.autograd.grad(a * 2, a, grad_outputs=torch.tensor([1.0, 3.0]))[0]
        )(torch.tensor([1.0, 2.0], requires_grad=True)),
        "backward_twice": lambda: (
            lambda a: (lambda loss: (loss.backward(), loss.backward()))((a * a).sum())
        )(torch.tensor([1.0], requires_grad=True)),
        "backward_nonscalar": lambda: (torch.tensor([1.0, 2.0], requires_grad=True) * 2).backward(),
        "backward_gradient": lambda: (lambda a: ((a * 2).backward(torch.tensor([1.0, 10.0])), a.grad)[1])(
            torch.tensor([1.0, 2.0], requires_grad=True)
        ),
        "grad_accumulate": lambda: (
            lambda a: ((a * 2).sum().backward(), (a * 3).sum().backward(), a.grad)[2]
        )(torch.tensor([1.0], requires_grad=True)),
        "no_grad_result": lambda: (lambda a: (torch.no_grad()(lambda: a * 2)()).requires_grad)(
            torch.ones(1, requires_grad=True)
        ),
        "detach_inplace_err": lambda: (lambda a: (lambda d: (d.add_(1), a))(a.detach()))(
            torch.ones(1, requires_grad=True)
        ),
        "leaf_inplace_err": lambda: torch.ones(1, requires_grad=True).add_(1),
        "int_requires_grad": lambda: torch.tensor([1, 2], requires_grad=True),
        "hook_modify": lambda: (
            lambda a: (a.register_hook(lambda g: g * 10), (a * 2).sum().backward(), a.grad)[2]
        )(torch.ones(2, requires_grad=True)),
        "retain_grad_nonleaf": lambda: (
            lambda a: (lambda b: (b.retain_grad(), (b * b).sum().backward(), b.grad)[2])(a * 3)
        )(torch.ones(2, requires_grad=True)),
        "sched_cosine": lambda: (
            lambda o: [
                round((o.step(), s.step(), s.get_last_lr()[0])[2], 5)
                for s in [torch.optim.lr_scheduler.CosineAnnealingLR(o, 5, eta_min=0.01)]
                for _ in range(6)
            ]
        )(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
        "sched_onecycle": lambda: (
            lambda o: [
                round((o.step(), s.step(), s.get_last_lr()[0])[2], 5)
                for s in [torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=6)]
                for _ in range(5)
            ]
        )(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
        "sched_plateau": lambda: (
            lambda o: [
                (s.step(1.0), o.param_groups[0]["lr"])[1]
                for s in [torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5)]
                for _ in range(5)
            ]
        )(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
        "adam_traj": lambda: (
            lambda p: (
                lambda o: [
                    ((p**2).sum().backward(), o.step(), o.zero_grad(), round(p.item(), 6))[3]
                    for _ in range(3)
                ]
            )(torch.optim.Adam([p], lr=0.1, weight_decay=0.1, amsgrad=True))
        )(torch.tensor([1.0], requires_grad=True)),
        "sgd_nesterov": lambda: (
            lambda p: (
                lambda o: [
                    ((p**2).sum().backward(), o.step(), o.zero_grad(), round(p.item(), 6))[3]
                    for _ in range(3)
                ]
            )(torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True))
        )(torch.tensor([1.0], requires_grad=True)),
        "param_groups": lambda: (
            lambda m: [
                g["lr"]
                for g in torch.optim.SGD(
                    [{"params": m.weight}, {"params": m.bias, "lr": 0.5}], lr=0.1
                ).param_groups
            ]
        )(torch.nn.Linear(1, 1)),
        "zero_grad_none": lambda: (
            lambda m: (
                m(torch.ones(1, 1)).sum().backward(),
                torch.optim.SGD(m.parameters(), 0.1).zero_grad(),
                m.weight.grad,
            )[2]
        )(torch.nn.Linear(1, 1)),
    }


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_index_autograd_optim_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]))
