import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

torch.manual_seed(0)
cases = []


def case(expected):
    def register(fn):
        cases.append((fn, expected))
        return fn

    return register


@case(RuntimeError)
def backward_twice():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


@case(AttributeError)
def grad_zero_none():
    x = torch.ones(2, requires_grad=True)
    x.grad.zero_()


@case(RuntimeError)
def int_target_ce():
    return F.cross_entropy(torch.randn(3, 4), torch.tensor([1, 2, 0], dtype=torch.int32))


@case(AttributeError)
def max_tuple_compare():
    out = torch.randn(4, 3)
    pred = torch.max(out, 1)
    return (pred == torch.tensor([0, 1, 2, 0])).sum()


@case(RuntimeError)
def view_two_infer():
    torch.ones(6).view(-1, -1)


@case(IndexError)
def transpose_oob():
    torch.zeros(2, 3).transpose(0, 2)


@case(RuntimeError)
def double_input():
    nn.Linear(2, 2)(torch.ones(1, 2, dtype=torch.float64))


@case(RuntimeError)
def hwc_image():
    nn.Conv2d(3, 4, 3)(torch.randn(32, 32, 3))


@case(RuntimeError)
def long_mean():
    torch.arange(5).mean()


@case(TypeError)
def cat_forgot_list():
    torch.cat(torch.ones(2), torch.ones(2))


@case(RuntimeError)
def nonleaf_requires_grad_false():
    x = torch.ones(2, requires_grad=True)
    (x * 2).requires_grad = False


@case(TypeError)
def linear_float_size():
    nn.Linear(2.5, 3)


@case(RuntimeError)
def dim_repeated():
    torch.ones(2, 2).sum(dim=(0, 0))


@case(FileNotFoundError)
def load_missing():
    torch.load("/nonexistent/ckpt.pt")


@case(RuntimeError)
def collate_ragged():
    next(iter(DataLoader([torch.ones(2), torch.ones(3)], batch_size=2)))


@case(RuntimeError)
def one_hot_float():
    F.one_hot(torch.tensor([1.0]))


@case(RuntimeError)
def one_hot_small():
    F.one_hot(torch.tensor([3]), num_classes=2)


@case(TypeError)
def len_0d():
    len(torch.tensor(3))


@case(TypeError)
def iter_0d():
    for _ in torch.tensor(3):
        pass


@case(ValueError)
def int_many():
    int(torch.tensor([1, 2]))


@case(ValueError)
def float_many():
    float(torch.tensor([1.0, 2.0]))


@case(RuntimeError)
def bool_many():
    if torch.tensor([1, 2]) > 0:
        pass


@case(TypeError)
def sgd_on_model():
    torch.optim.SGD(nn.Linear(1, 1), lr=0.1)


@case(ValueError)
def params_generator_twice():
    m = nn.Linear(1, 1)
    p = m.parameters()
    torch.optim.SGD(p, lr=0.1)
    torch.optim.Adam(p)


@case(ValueError)
def train_str():
    nn.Linear(1, 1).train("eval")


@case(AttributeError)
def no_super_init():
    class M(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    M()


@case(NotImplementedError)
def no_forward():
    class M(nn.Module):
        def __init__(self):
            super().__init__()

    M()(torch.ones(1))


@case(KeyError)
def buffer_dot_name():
    nn.Module().register_buffer("a.b", torch.ones(1))


@case(TypeError)
def param_plain_tensor():
    m = nn.Module()
    m.register_parameter("w", torch.ones(1))


@case(TypeError)
def no_grad_no_call():
    with torch.no_grad:
        pass


@case(RuntimeError)
def to_gpu_str():
    torch.ones(1).to("gpu")


@case(IndexError)
def nll_negative_target():
    F.nll_loss(torch.randn(2, 3), torch.tensor([-1, 0]))


@case(RuntimeError)
def ce_logits_1d():
    return F.cross_entropy(torch.randn(4), torch.tensor([1, 0, 0, 0]))


@case(None)
def mse_shape_warn():
    return F.mse_loss(torch.ones(3, 1), torch.zeros(3))


@case(RuntimeError)
def bce_long_target():
    F.binary_cross_entropy_with_logits(torch.randn(3), torch.tensor([1, 0, 1]))


@case(IndexError)
def index_with_float_tensor_scalar():
    torch.arange(4)[torch.tensor(1.0)]


@case(None)
def getitem_list_of_tensor():
    return torch.arange(6).view(2, 3)[[0, 1], [2, 0]]


@case(RuntimeError)
def setitem_shape():
    x = torch.zeros(3, 2)
    x[0] = torch.ones(3)


@case(None)
def scalar_tensor_index():
    return torch.arange(5)[torch.tensor(2)]


@case(IndexError)
def embedding_2d_neg():
    nn.Embedding(3, 2)(torch.tensor([-1]))


@case(RuntimeError)
def maxpool_too_small():
    nn.MaxPool2d(2)(torch.randn(1, 1, 1, 1))


@case(ValueError)
def dropout_p():
    nn.Dropout(1.5)


@case(IndexError)
def softmax_dim_oob():
    torch.ones(2, 2).softmax(2)


@case(IndexError)
def argmax_empty():
    torch.tensor([]).argmax()


@case(RuntimeError)
def max_empty():
    torch.tensor([]).max()


@case(TypeError)
def randn_float_size():
    torch.randn(2.0, 3)


@case(RuntimeError)
def zeros_neg():
    torch.zeros(-1)


@case(TypeError)
def tensor_from_str():
    torch.tensor("abc")


@case(None)
def tensor_list_of_tensors():
    return torch.tensor([torch.tensor(1.0), torch.tensor(2.0)])


@case(ValueError)
def tensor_list_multi_tensors():
    torch.tensor([torch.ones(2), torch.ones(2)])


@case(RuntimeError)
def item_empty():
    torch.tensor([]).item()


@case(None)
def optimizer_step_no_grad():
    m = nn.Linear(1, 1)
    o = torch.optim.Adam(m.parameters())
    o.step()
    return m.weight.grad


@case(None)
def state_dict_unexpected():
    return nn.Linear(1, 1).load_state_dict(
        {"weight": torch.ones(1, 1), "bias": torch.ones(1), "x": torch.ones(1)}, strict=False
    )


@case(None)
def sched_before_opt():
    m = nn.Linear(1, 1)
    o = torch.optim.SGD(m.parameters(), lr=1.0)
    s = torch.optim.lr_scheduler.StepLR(o, 1)
    s.step()
    return o.param_groups[0]["lr"]


for fn, expected in cases:
    try:
        r = fn()
        print(f"{fn.__name__}: ok {r}")
    except Exception as e:
        print(f"{fn.__name__}: raised {expected.__name__}: {isinstance(e, expected)}")
