"""What the processes of test_shared_memory.py run: kept apart from the tests so that a spawned
child imports only pyneuro (not torch, which the tests import as the oracle)."""

from __future__ import annotations

import pyneuro as pn
import pyneuro.multiprocessing as mp


def _train_in_child(model):
    opt = pn.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        model(pn.ones(2, 3)).sum().backward()
        opt.step()
    with pn.no_grad():
        model.weight[0, 0] = 42.0


def _add_and_scale(q, done):
    t, v = q.get(), q.get()
    t.add_(1)
    v.mul_(10)
    done.put((t.is_shared(), v.is_shared()))


def _pass_on(t):
    p = mp.get_context("spawn").Process(target=_set_first, args=(t,))
    p.start()
    p.join()


def _set_first(t):
    t[0] = -7.0
