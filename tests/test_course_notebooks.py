"""`import pyneuro as torch`: course-style PyTorch snippets run unchanged but for the imports (issue 14).

Each snippet below is written in the idioms of the course's public notebooks (CS 375 units 2-7,
CS 376 logits, embeddings, transformers, parameter counting). It runs twice, each time in a
fresh namespace: once as written (`import torch`), once with the import lines rewritten by plain
text replacement (`torch` -> `pyneuro`, and `import torch` -> `import pyneuro as torch`). What the
two print must agree: the same text (with "pyneuro" read as "torch" and object addresses
blanked) and the same numbers to float32 precision. A seed gives torch's random numbers
(pyneuro/_torch_stream.py), so seeded snippets may print values too.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import textwrap
import types

import pytest

# fmt: off
SNIPPETS = {
    # ---------------------------------------------------------------- tensors (u02n1)
    "tensor_basics": """
        import torch
        x = torch.tensor([1.0, 2.0, 3.0])
        print(x, x.shape, x.dtype, x.ndim)
        print(x.shape[0], len(x.shape), x.shape == (3,), x.size())
        y = torch.tensor([[1, 2], [3, 4]])
        print(y, y.dtype, y.shape, y.size(1), y.numel(), y.shape.numel())
        print(type(x.shape).__name__, isinstance(x.shape, tuple))
    """,
    "seed_repr": """
        import torch
        g = torch.manual_seed(0)
        print(g)  # (a notebook cell ending in torch.manual_seed(0) shows this repr)
    """,
    "seed_notebook_display": """
        import torch
        try:  # what a notebook cell ending in torch.manual_seed(42) shows: IPython's pretty printer
            from IPython.lib.pretty import pretty
        except ImportError:
            pretty = repr
        print(pretty(torch.manual_seed(42)), pretty(torch.Generator()))
        print(pretty([torch.tensor(1.5), torch.tensor([1, 2])]), pretty({'w': torch.zeros(2)}))
        x = torch.ones(2, requires_grad=True)
        loss = (x * 2).sum()  # a cell ending in loss.grad_fn, or its next_functions
        print(pretty(loss.grad_fn), pretty(loss.grad_fn.next_functions), repr(loss.grad_fn))
        print(pretty(x.exp().grad_fn.next_functions[0][0]), pretty(torch.nn.Linear(2, 1)(x).grad_fn))

        class Double(torch.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        print(pretty(Double.apply(x).grad_fn), pretty(torch.nn.functional.cross_entropy(x[None], torch.tensor([0])).grad_fn))
    """,
    "hook_and_mode_display": """
        import torch
        from torch import nn
        try:  # a notebook shows a cell's last value with IPython's pretty printer
            from IPython.lib.pretty import pretty
        except ImportError:
            pretty = repr
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        handle = model[0].register_forward_hook(lambda module, args, output: print(output.shape))
        print(pretty(handle), repr(handle).split(' object at')[0], type(handle).__module__)
        print(pretty(torch.ones(2, requires_grad=True).register_hook(lambda g: g)))
        model(torch.ones(1, 2))
        handle.remove()
        model(torch.ones(1, 2))
        print(pretty(torch.set_grad_enabled(False)), torch.is_grad_enabled(), torch.set_grad_enabled(True))
        print(str(torch.set_grad_enabled(True)), torch.set_grad_enabled(False).mode, torch.is_grad_enabled())
        torch.set_grad_enabled(True)
    """,
    "randint_bounds": """
        import torch
        import numpy as np
        x = torch.arange(10)
        for args in [(0, len(x) / 2, (3,)), (len(x) / 2, (3,)), (0.0, 5, (2,)), (True, (2,)), (0, torch.tensor(5.5), (2,)),
                     (torch.tensor(5.0), (2,))]:
            try:
                torch.randint(*args)
            except TypeError as e:
                print(type(e).__name__, str(e).splitlines()[0])
        for call in [lambda: torch.randint_like(x, 5.5), lambda: torch.randint_like(x, True), lambda: x.float().random_(5.5),
                     lambda: x.float().random_(0, 5.5)]:
            try:
                call()
            except TypeError as e:
                print(type(e).__name__, str(e).splitlines()[0])
        torch.manual_seed(0)
        print(torch.randint(0, len(x) // 2, (3,)), torch.randint(torch.tensor(5), (2,)), torch.randint(np.int64(4), (2,)))
        print(torch.randint_like(x, 5), torch.zeros(3).random_(torch.tensor(4)), torch.zeros(2).random_(1, 3))
    """,
    "dtype_objects": """
        import torch
        import numpy as np
        x = torch.ones(2, 3)
        print(x.dtype, x.dtype == torch.float32, x.dtype == torch.float, x.dtype is torch.float32)
        print(torch.float64, torch.int64, torch.long, torch.bool)
        print(x.dtype.is_floating_point, x.dtype.itemsize, torch.int64.is_floating_point)
        print(x.long().dtype, x.double().dtype, x.to(torch.float64).dtype, x.type(torch.int64).dtype)
        print(x.type(), x.long().type(), x.double().type(), (x > 0).type())
        print({torch.float32: 'f'}[x.dtype])
    """,
    "float64_from_numpy": """
        import torch
        import numpy as np
        a = np.array([[1.5, 2.0], [3.0, 4.0]])
        print(torch.tensor(a).dtype, torch.from_numpy(a).dtype, torch.as_tensor(a).dtype)
        print(torch.tensor([1.5, 2.0]).dtype, torch.tensor(2.5).dtype, torch.tensor([1, 2]).dtype)
        print(torch.tensor(a.astype('float32')).dtype, torch.tensor(a).float().dtype)
        print(torch.from_numpy(np.arange(3)).dtype, torch.tensor(np.int32(3)).dtype)
        t = torch.from_numpy(a) * 2
        print(t, t.dtype)
    """,
    "linear_float64_error": """
        import torch
        from torch import nn
        import numpy as np
        torch.manual_seed(0)
        layer = nn.Linear(2, 1)
        X = torch.tensor(np.array([[1.0, 2.0]]))
        try:
            layer(X)
        except RuntimeError as e:
            print(isinstance(e, RuntimeError), e)
        print(layer(X.float()).shape, layer(torch.tensor(np.array([[1.0, 2.0]], dtype='float32'))).dtype)
    """,
    "arange_reshape_arith": """
        import torch
        x = torch.arange(12).reshape(3, 4)
        print(x)
        print(x.sum(), x.sum(axis=0), x.sum(dim=1), x.sum(axis=1, keepdim=True))
        f = x.float()
        print(f.mean(), f.mean(axis=0), f.mean(dim=1, keepdim=True), f.std(axis=0))
        print(f.max(), f.max(axis=1).values, f.max(dim=0, keepdim=True).values, f.min(axis=1).indices)
        print(f.argmax(axis=1), f.argmax(dim=0), torch.argmax(f, axis=1))
        print(torch.sum(f, axis=0), torch.mean(f, axis=1), torch.sum(f, dim=0, keepdim=True).shape)
        print(x[1], x[:, 2], x[1:, ::2], x.T.shape, x.view(-1).shape, x.flatten().shape)
    """,
    "keepdims_numpy_spelling": """
        import torch
        f = torch.arange(6.).reshape(2, 3)
        print(f.sum(axis=1, keepdims=True), f.mean(axis=0, keepdims=True), f.amax(axis=1))
        print(f.logsumexp(axis=1, keepdim=True), f.logsumexp(axis=-1))
        print(f.softmax(axis=-1), f.log_softmax(axis=-1))
    """,
    "elementwise_and_broadcast": """
        import torch
        a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        b = torch.tensor([10.0, 20.0])
        print(a + b, a * b, a - 1, 2 ** a, a / b, a @ a, a.T @ b)
        print(torch.exp(a), a.exp().log(), a.sqrt(), a.pow(2), torch.abs(-a), a.clamp(min=2))
        print(torch.sigmoid(a), torch.tanh(a), torch.relu(a - 2.5), a.relu())
        print(torch.dot(b, b), torch.matmul(a, b), (a > 2).sum(), torch.where(a > 2, a, torch.zeros_like(a)))
        print(torch.isclose(a, a + 1e-9).all(), torch.allclose(a, a), torch.equal(a, a.clone()))
    """,
    "creation": """
        import torch
        print(torch.zeros(2, 3), torch.ones(3), torch.full((2,), 7.0), torch.eye(2))
        print(torch.linspace(0, 1, 5), torch.arange(0, 10, 3), torch.arange(5.0))
        print(torch.zeros_like(torch.ones(2)), torch.ones(2, dtype=torch.long), torch.empty(2, 3).shape)
        print(torch.cat([torch.ones(2), torch.zeros(2)]), torch.stack([torch.ones(2), torch.zeros(2)]).shape)
        print(torch.tril(torch.ones(3, 3)), torch.triu(torch.ones(3, 3), diagonal=1))
    """,
    "seeded_values": """
        import torch
        from torch import nn
        torch.manual_seed(0)
        x = torch.randn(3, 4)
        print(x)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
        print(model[0].weight, model[3].bias)
        y = torch.randint(0, 2, (3,))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(3):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            print(step, round(loss.item(), 4))
        print(torch.rand(2), torch.randperm(5), torch.randn(20).mean())
        emb = nn.Embedding(5, 3)
        print(emb(torch.tensor([0, 4])))
    """,
    "random_shapes": """
        import torch
        torch.manual_seed(42)
        r = torch.rand(3, 4)
        n = torch.randn(2, 5)
        i = torch.randint(0, 10, (4,))
        p = torch.randperm(6)
        print(r.shape, r.dtype, n.shape, i.dtype, i.shape, p.dtype, sorted(p.tolist()))
        print(bool(((r >= 0) & (r < 1)).all()), bool(((i >= 0) & (i < 10)).all()))
        print(torch.rand_like(r).shape, torch.randn(3).shape)
    """,
    "multinomial_shapes": """
        import torch
        torch.manual_seed(0)
        probs = torch.tensor([0.1, 0.0, 0.9])
        s = torch.multinomial(probs, num_samples=5, replacement=True)
        print(s.shape, s.dtype, bool((s != 1).all()))
        one = torch.multinomial(torch.softmax(torch.tensor([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]]), dim=-1), 1)
        print(one.shape, one.dtype)
        w = torch.multinomial(torch.tensor([1.0, 1.0, 1.0, 0.0]), 3)
        print(sorted(w.tolist()))
    """,
    "roll_bincount_cdist": """
        import torch
        x = torch.arange(6).reshape(2, 3)
        print(torch.roll(x, 1), torch.roll(x, 1, dims=1), torch.roll(x, shifts=(1, -1), dims=(0, 1)), x.roll(2))
        print(torch.bincount(torch.tensor([0, 1, 1, 3])), torch.bincount(torch.tensor([2, 2]), minlength=5))
        a = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
        b = torch.tensor([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]])
        print(torch.cdist(a, b), torch.cdist(a, b, p=1))
    """,
    "linalg_norm": """
        import torch
        v = torch.tensor([3.0, 4.0])
        m = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        print(torch.linalg.norm(v), torch.linalg.norm(m), torch.linalg.norm(m, dim=1), torch.linalg.norm(v, ord=1))
        print(v.norm(), m.norm(dim=1), torch.norm(v))
        from torch import linalg
        print(linalg.norm(m, dim=0, keepdim=True))
    """,
    "size_object": """
        import torch
        s = torch.Size([2, 3])
        print(s, s.numel(), s == (2, 3), torch.zeros(s).shape, list(s), s[1], s[-1:])
        print(torch.ones(4, 5).shape, torch.ones(4, 5).size(), torch.ones(4, 5).shape[1:])
    """,
    # ---------------------------------------------------------------- devices
    "device_idioms": """
        import torch
        from torch import nn
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        print(device, device.type, torch.device("cpu") == torch.device("cpu"))
        model = nn.Linear(3, 2).to(device)
        x = torch.ones(4, 3).to(device)
        print(model(x).shape, x.device, x.to(device, torch.float64).dtype, x.to(dtype=torch.float64).dtype)
        print(next(model.parameters()).device, x.cpu().device, x.is_cuda)
    """,
    # ---------------------------------------------------------------- grad mode
    "no_grad_forms": """
        import torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        with torch.no_grad():
            y = w * 2
        print(y.requires_grad)

        @torch.no_grad()
        def predict(v):
            return w * v
        print(predict(3.0).requires_grad, (w * 3).requires_grad)

        with torch.inference_mode():
            z = w + 1
        print(z.requires_grad)

        @torch.inference_mode()
        def f(v):
            return w * v
        print(f(2.0).requires_grad, torch.is_grad_enabled())
    """,
    # ---------------------------------------------------------------- autograd (u04n1)
    "grad_scalar": """
        import torch
        x = torch.tensor(3.0, requires_grad=True)
        y = x ** 2 + 2 * x
        print(y, y.grad_fn.name())
        y.backward()
        print(x.grad, x.is_leaf, y.is_leaf, x.requires_grad)
    """,
    "grad_fn_names": """
        import torch
        import torch.nn.functional as F
        a = torch.tensor([[1.0, 2.0]], requires_grad=True)
        b = torch.tensor([[3.0], [4.0]], requires_grad=True)
        print(type((a + a).grad_fn).__name__, type((a * 2).grad_fn).__name__, type((a @ b).grad_fn).__name__)
        print(type(a.sum().grad_fn).__name__, type(a.mean().grad_fn).__name__, type(a.relu().grad_fn).__name__)
        print(type(a.softmax(dim=-1).grad_fn).__name__, type(F.softmax(a, dim=1).grad_fn).__name__)
        print(type((a - 1).grad_fn).__name__, type((a / 2).grad_fn).__name__, type((a ** 2).grad_fn).__name__)
        print(type(a.exp().grad_fn).__name__, type(a.log().grad_fn).__name__, type(torch.sigmoid(a).grad_fn).__name__)
        print(type(a.reshape(2, 1).grad_fn).__name__, type(a.T.grad_fn).__name__, type(a[0].grad_fn).__name__)
        print(type(F.log_softmax(a, dim=1).grad_fn).__name__, type(a.tanh().grad_fn).__name__)
        loss = F.cross_entropy(a, torch.tensor([1]))
        print(type(loss.grad_fn).__name__, loss.grad_fn.name())
        print(type(F.mse_loss(a, torch.zeros(1, 2)).grad_fn).__name__)
    """,
    "grad_fn_repr_and_next": """
        import torch
        from torch import nn
        torch.manual_seed(0)
        lin = nn.Linear(2, 1)
        y = lin(torch.ones(3, 2))
        print(y.grad_fn)
        print(len(y.grad_fn.next_functions), (y * y).grad_fn.next_functions[0][0] is y.grad_fn)
        s = (y * 2).sum()
        print(s.grad_fn, s.grad_fn.next_functions[0][0])
        lin2 = nn.Linear(2, 1, bias=False)
        print(type(lin2(torch.ones(3, 2)).grad_fn).__name__, lin2(torch.ones(3, 2)).grad_fn.name())
        print(type(torch.ones(2, requires_grad=True).sum().grad_fn.next_functions[0][0]).__name__)
    """,
    "linear_regression_manual": """
        import torch
        x = torch.tensor([0.0, 1.0, 2.0, 3.0])
        y_true = torch.tensor([1.0, 3.0, 5.0, 7.0])
        w = torch.tensor(0.0, requires_grad=True)
        b = torch.tensor(0.0, requires_grad=True)
        for step in range(50):
            y_pred = w * x + b
            loss = ((y_pred - y_true) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= 0.05 * w.grad
                b -= 0.05 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        print(round(w.item(), 4), round(b.item(), 4), round(loss.item(), 5))
    """,
    # ---------------------------------------------------------------- softmax / logits (u04n2, u09n0)
    "softmax_logits": """
        import torch
        import torch.nn.functional as F
        logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]])
        print(logits.softmax(dim=-1), torch.softmax(logits, dim=1), torch.softmax(logits, axis=-1))
        print(F.log_softmax(logits, dim=1), logits.log_softmax(axis=-1).exp().sum(axis=-1))
        print(logits - logits.logsumexp(axis=1, keepdim=True))
        print(F.cross_entropy(logits, torch.tensor([0, 1])), F.nll_loss(F.log_softmax(logits, dim=1), torch.tensor([0, 1])))
        print(F.one_hot(torch.tensor([0, 2]), num_classes=3), logits.argmax(axis=1))
        print(torch.topk(logits, 2, dim=1).values, logits.sort(dim=1, descending=True).indices)
    """,
    "cross_entropy_logsumexp": """
        import torch
        import torch.nn.functional as F
        logits = torch.tensor([[1.0, 2.0, 3.0], [1.0, -1.0, 0.5]])
        y = torch.tensor([2, 0])
        manual = (logits.logsumexp(axis=1) - logits[torch.arange(2), y]).mean()
        print(manual, F.cross_entropy(logits, y), torch.isclose(manual, F.cross_entropy(logits, y)))
        print(F.cross_entropy(logits, y, reduction='none'), F.cross_entropy(logits, y, reduction='sum'))
    """,
    # ---------------------------------------------------------------- nn / MNIST MLP (u05n3, u06n1)
    "mlp_training_step": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        X = torch.linspace(-1, 1, 32).reshape(16, 2)
        y = (X[:, 0] > X[:, 1]).long()
        loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=False)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
        print(loss, len(loader), len(loader.dataset), xb.shape, yb.dtype)
        print(model)
        print((model(X).argmax(axis=1) == y).float().mean())
    """,
    "count_params": """
        import torch
        from torch import nn
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        print(sum(p.numel() for p in model.parameters()))
        print([(n, p.shape) for n, p in model.named_parameters()])
        print(sum(p.numel() for p in model.parameters() if p.requires_grad))
        emb = nn.Embedding(1000, 64)
        print(emb.weight.shape, emb.weight.numel(), emb(torch.tensor([[1, 2, 3]])).shape)
        ln = nn.LayerNorm(64)
        print([p.shape for p in ln.parameters()], model[1].weight.shape, model[1].bias.shape)
    """,
    "module_subclass": """
        import torch
        from torch import nn
        import torch.nn.functional as F

        class MLP(nn.Module):
            def __init__(self, n_in, n_hidden, n_out):
                super().__init__()
                self.fc1 = nn.Linear(n_in, n_hidden)
                self.fc2 = nn.Linear(n_hidden, n_out)
                self.act = nn.GELU()

            def forward(self, x):
                return self.fc2(self.act(self.fc1(x)))

        torch.manual_seed(0)
        model = MLP(4, 8, 3)
        out = model(torch.ones(2, 4))
        print(out.shape, out.dtype, type(out.grad_fn).__name__)
        print(model)
        print(nn.GELU()(torch.tensor([-1.0, 0.0, 1.0, 2.0])), F.gelu(torch.tensor([0.5])))
        print(nn.GELU(approximate='tanh')(torch.tensor([-1.0, 1.0])))
    """,
    "optim_and_clip": """
        import torch
        from torch import nn
        w = nn.Parameter(torch.tensor([3.0, 4.0]))
        opt = torch.optim.Adam([w], lr=0.1)
        loss = (w ** 2).sum()
        loss.backward()
        total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
        print(total, w.grad, w.grad.norm())
        opt.step()
        print(w)
        from torch.optim.lr_scheduler import StepLR
        sched = StepLR(opt, step_size=1, gamma=0.5)
        opt.step(); sched.step()
        print(opt.param_groups[0]['lr'])
        torch.nn.utils.clip_grad_value_([w], clip_value=0.1)
        print(w.grad)
    """,
    "init_module": """
        import torch
        import torch.nn.init as init
        from torch import nn
        lin = nn.Linear(3, 2)
        init.zeros_(lin.bias)
        init.ones_(lin.weight)
        print(lin.weight, lin.bias)
        nn.init.constant_(lin.bias, 0.5)
        print(lin(torch.ones(1, 3)))
    """,
    "state_dict_roundtrip": """
        import torch
        from torch import nn
        a = nn.Linear(2, 2)
        b = nn.Linear(2, 2)
        b.load_state_dict(a.state_dict())
        print(list(a.state_dict().keys()), torch.equal(a.weight, b.weight))
        print(a.training, a.eval().training, a.train().training)
    """,
    # ---------------------------------------------------------------- attention / transformer (u10n1, u13n3)
    "self_attention": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        x = torch.arange(24.0).reshape(1, 4, 6) / 10
        q, k, v = x, x * 0.5, x + 1
        scores = q @ k.transpose(-2, -1) / (6 ** 0.5)
        mask = torch.tril(torch.ones(4, 4))
        scores = scores.masked_fill(mask == 0, float('-inf'))
        attn = F.softmax(scores, dim=-1)
        out = attn @ v
        print(out.shape, attn.sum(dim=-1), attn[0, 1])
        print(torch.bmm(attn, v).shape, out.transpose(1, 2).contiguous().view(1, 6, 4).shape)
        causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
        print(causal, scores.shape)
    """,
    "sequence_models": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        sentence = "The quick brown fox jumped over the lazy dogs."
        sentence_tensor = torch.tensor([[ord(x) for x in sentence]])
        print(sentence_tensor)
        targets, input_ids = sentence_tensor[:, 1:], sentence_tensor[:, :-1]
        def num_parameters(model):
            return sum(param.numel() for param in model.parameters() if param.requires_grad)
        embedder = nn.Embedding(256, 5)
        lm_head = nn.Linear(5, 256)
        lm_head.weight = embedder.weight
        embeddings = embedder(input_ids)
        loss = F.cross_entropy(lm_head(embeddings).transpose(1, 2), targets, reduction='none')
        print(num_parameters(embedder), embeddings.shape, loss.shape)
        gru = nn.GRU(5, 5, batch_first=True)
        output, hidden = gru(embeddings)
        print(gru, num_parameters(gru), output.shape, hidden.shape, (output[:, -1, :] == hidden).all())
        conv = nn.Conv1d(5, 5, kernel_size=7, padding=3)
        print(conv, num_parameters(conv), conv(embeddings.transpose(1, 2)).transpose(1, 2).shape)
        xformer = nn.TransformerEncoderLayer(d_model=5, nhead=1, dim_feedforward=5, batch_first=True)
        print(num_parameters(xformer), xformer(torch.cat([embeddings] * 2, axis=1)).shape)
        mask = nn.Transformer.generate_square_subsequent_mask(embeddings.shape[-2])
        print(mask[:3, :3])
        embeddings.retain_grad()
        loss = F.cross_entropy(lm_head(xformer(embeddings, mask)).transpose(1, 2), targets, reduction='none')
        loss[0, 20].backward()
        print((embeddings.grad[0, 21:] == 0).all(), (embeddings.grad[0, 20] != 0).any())
    """,
    "embeddings_similarity": """
        import torch
        import torch.nn.functional as F
        E = torch.tensor([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
        q = E[1]
        print(F.cosine_similarity(E, q.unsqueeze(0), dim=1), E @ q, F.normalize(E, dim=1))
        print((E @ q).argsort(descending=True), torch.topk(E @ q, k=2).indices)
        print(torch.cdist(E, E).round(decimals=3))
    """,
    "transformer_block": """
        import torch
        from torch import nn
        torch.manual_seed(0)
        block = nn.Sequential(nn.LayerNorm(8), nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8), nn.Dropout(0.1))
        x = torch.randn(2, 5, 8)
        block.eval()
        y = x + block(x)
        print(y.shape, y.dtype, sum(p.numel() for p in block.parameters()))
        tok = nn.Embedding(50, 8)
        pos = nn.Embedding(5, 8)
        ids = torch.randint(0, 50, (2, 5))
        h = tok(ids) + pos(torch.arange(5))
        print(h.shape, ids.dtype, torch.arange(5).unsqueeze(0).expand(2, 5).shape)
    """,
    # ---------------------------------------------------------------- interop
    "numpy_interop": """
        import torch
        import numpy as np
        t = torch.tensor([1.0, 2.0], requires_grad=True)
        try:
            np.asarray(t)
        except RuntimeError as e:
            print(isinstance(e, RuntimeError), e)
        try:
            t.numpy()
        except RuntimeError as e:
            print(isinstance(e, RuntimeError), e)
        print(t.detach().numpy(), np.asarray(t.detach()).dtype, t.detach().numpy().dtype)
        print(t.tolist(), t.sum().item(), float(t[0].detach()), int(torch.tensor(3)))
    """,
    "type_strings": """
        import torch
        print(torch.ones(2).type(), torch.ones(2, dtype=torch.int64).type(), torch.ones(2).double().type())
        print(torch.tensor([True]).type(), torch.zeros(1, dtype=torch.int32).type())
        print(isinstance(torch.ones(2), torch.Tensor), torch.is_tensor(torch.ones(1)))
    """,
    "fstrings_and_misc": """
        import torch
        from torch import tensor
        loss = tensor(0.123456)
        print(f"{loss}", f"loss={loss:.3f}", f"{torch.sigmoid(tensor(0.1))}", f"{tensor([1.0, 2.0])}")
        print(torch.sort(tensor([3.0, 1.0, 2.0])).values, torch.sort(tensor([3, 1, 2]), descending=True).indices)
        a, b = torch.meshgrid(torch.arange(3), torch.arange(2), indexing='ij')
        print(a, b, torch.baddbmm(torch.zeros(1, 2, 2), torch.ones(1, 2, 3), torch.ones(1, 3, 2), alpha=0.5).shape)
        print(tensor([[1, 2], [3, 4]]).ravel(), tensor([1.0, 2.0]).sum().item() == 3.0)
    """,
    "parameter_table": """
        import torch
        from torch import nn

        def num_parameters(model):
            return sum(p.numel() for p in model.parameters() if p.requires_grad)

        emb_dim, n_vocab, max_len = 16, 100, 32
        model = nn.ModuleDict({
            'wte': nn.Embedding(n_vocab, emb_dim),
            'wpe': nn.Embedding(max_len, emb_dim),
            'ln_f': nn.LayerNorm(emb_dim),
            'lm_head': nn.Linear(emb_dim, n_vocab, bias=False),
        })
        for name, module in model.items():
            print(name, num_parameters(module), [tuple(p.shape) for p in module.parameters()])
        print(num_parameters(model))
    """,
}
# fmt: on

_FROM = re.compile(r"^\s*from\s+torch\b")
_IMPORT = re.compile(r"^\s*import\s+[\w.\s,]*(?<![\w.])torch\b")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def to_pyneuro(source: str) -> str:
    """Rename torch to pyneuro in import lines only (what the student does): `from torch.x import y`
    -> `from pyneuro.x import y`; in `import torch, os` or `import torch.nn as nn` each module named
    torch... becomes pyneuro..., and a bare `torch` keeps its name (`import pyneuro as torch`)."""
    out = []
    for line in source.splitlines():
        if _FROM.match(line):
            line = re.sub(r"\btorch\b", "pyneuro", line, count=1)
        elif _IMPORT.match(line):
            code, sep, comment = line.partition("#")
            head, _, names = code.partition("import")
            items = []
            for item in names.split(","):
                name = item.strip()
                module = name.split()[0] if name else ""
                if module == "torch" or module.startswith("torch."):
                    renamed = "pyneuro" + name[len("torch") :]
                    if " as " in name:  # `import torch.nn as nn`
                        items.append(renamed)
                    elif name == "torch":
                        items.append("pyneuro as torch")
                    else:  # `import torch.nn` binds the name torch too
                        items.append(f"{renamed}, pyneuro as torch")
                else:
                    items.append(name)
            trail = code[len(code.rstrip()) :]
            code = f"{head}import " + ", ".join(items) + trail
            line = code + sep + comment
        out.append(line)
    return "\n".join(out)


def run_snippet(source: str) -> str:
    """Run source as a script's module (registered in sys.modules while it runs, as a script's
    __main__ is, so that a @dataclass or a pickled instance of one of its classes resolves);
    what it prints."""
    buf = io.StringIO()
    module = types.ModuleType("__snippet__")
    sys.modules["__snippet__"] = module
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(textwrap.dedent(source), "<snippet>", "exec"), module.__dict__)
    finally:
        sys.modules.pop("__snippet__", None)
    return buf.getvalue()


def _normalise(text: str) -> str:
    return _ADDRESS.sub(" at 0x", text.replace("pyneuro", "torch"))


def assert_same_output(expected: str, got: str) -> None:
    """The same text between the numbers and the same numbers (float32 precision)."""
    expected, got = _normalise(expected), _normalise(got)
    text_e, text_g = _NUMBER.split(expected), _NUMBER.split(got)
    nums_e, nums_g = _NUMBER.findall(expected), _NUMBER.findall(got)
    if text_e != text_g or len(nums_e) != len(nums_g):
        assert got == expected
    for a, b in zip(nums_e, nums_g):
        fa, fb = float(a), float(b)
        assert abs(fa - fb) <= 1e-4 + 1e-4 * abs(fa), (
            f"{a} != {b}\n--- torch:\n{expected}\n--- pyneuro:\n{got}"
        )


def test_import_rename_rule():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nx = torch.ones(1)"
    assert to_pyneuro(src).splitlines() == [
        "import pyneuro as torch",
        "import pyneuro.nn as nn",
        "from pyneuro.utils.data import DataLoader",
        "x = torch.ones(1)",
    ]
    assert to_pyneuro("import torch, os\nimport os, torch  # setup\nimport torch as t") == (
        "import pyneuro as torch, os\nimport os, pyneuro as torch  # setup\nimport pyneuro as t"
    )
    assert to_pyneuro("import torch.utils.checkpoint\nimport torchvision") == (
        "import pyneuro.utils.checkpoint, pyneuro as torch\nimport torchvision"
    )


def test_comparison_finds_differences():
    assert_same_output("tensor([1.0000, 2.0000])", "tensor([1.00001, 2.0000])")
    with pytest.raises(AssertionError):
        assert_same_output("tensor([1.0000, 2.0000])", "tensor([1.0000, 2.1000])")
    with pytest.raises(AssertionError):
        assert_same_output("torch.float32", "pyneuro.float64")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_matches_torch(name):
    pytest.importorskip("torch")
    source = textwrap.dedent(SNIPPETS[name])
    expected = run_snippet(source)
    got = run_snippet(to_pyneuro(source))
    assert_same_output(expected, got)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_runs_with_pyneuro(name):
    """Without torch on the machine: the renamed snippet still runs to the end."""
    run_snippet(to_pyneuro(textwrap.dedent(SNIPPETS[name])))
