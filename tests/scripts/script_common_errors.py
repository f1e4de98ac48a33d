import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
cases = []


def case(expected):
    def register(fn):
        cases.append((fn, expected))
        return fn

    return register


@case(RuntimeError)
def linear_shape():
    nn.Linear(4, 2)(torch.randn(3, 5))


@case(RuntimeError)
def numpy_requires_grad():
    torch.ones(2, requires_grad=True).numpy()


@case(RuntimeError)
def item_many():
    torch.ones(2).item()


@case(RuntimeError)
def inplace_leaf():
    torch.ones(2, requires_grad=True).add_(1)


@case(RuntimeError)
def view_noncontig():
    torch.randn(3, 4).t().view(12)


@case(IndexError)
def index_oob():
    torch.arange(3)[5]


@case(RuntimeError)
def backward_nonscalar():
    (torch.ones(2, requires_grad=True) * 2).backward()


@case(RuntimeError)
def backward_no_grad():
    torch.ones(2).sum().backward()


@case(None)
def mse_long():
    F.mse_loss(torch.randn(3), torch.tensor([1, 2, 3]))


@case(RuntimeError)
def ce_float_target_shape():
    F.cross_entropy(torch.randn(3, 4), torch.tensor([1.0, 2.0, 0.0]))


@case(IndexError)
def ce_target_oob():
    F.cross_entropy(torch.randn(3, 4), torch.tensor([1, 2, 4]))


@case(RuntimeError)
def nll_2d_target():
    F.nll_loss(torch.randn(3, 4), torch.tensor([[1], [2], [0]]))


@case(IndexError)
def embedding_oob():
    nn.Embedding(5, 2)(torch.tensor([5]))


@case(RuntimeError)
def embedding_float():
    nn.Embedding(5, 2)(torch.tensor([1.0]))


@case(RuntimeError)
def conv_channels():
    nn.Conv2d(3, 4, 3)(torch.randn(1, 1, 8, 8))


@case(RuntimeError)
def conv_3d_input_small():
    nn.Conv2d(1, 1, 5)(torch.randn(1, 1, 3, 3))


@case(RuntimeError)
def cat_mismatch():
    torch.cat([torch.ones(2, 3), torch.ones(2, 4)])


@case(RuntimeError)
def stack_mismatch():
    torch.stack([torch.ones(2), torch.ones(3)])


@case(RuntimeError)
def reshape_bad():
    torch.arange(6).reshape(4, -1)


@case(RuntimeError)
def matmul_bad():
    torch.ones(2, 3) @ torch.ones(2, 3)


@case(RuntimeError)
def broadcast_bad():
    torch.ones(2, 3) + torch.ones(4)


@case(RuntimeError)
def dtype_int_grad():
    torch.tensor([1, 2], requires_grad=True)


@case(None)
def modify_after_save():
    a = torch.ones(3, requires_grad=True)
    b = a * 2
    c = b.sigmoid()
    b.mul_(2)
    c.sum().backward()


@case(RuntimeError)
def bce_out_of_range():
    F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


@case(ValueError)
def bn_one_sample():
    nn.BatchNorm1d(3)(torch.randn(1, 3))


@case(RuntimeError)
def load_state_missing():
    nn.Linear(2, 2).load_state_dict({"weight": torch.ones(2, 2)})


@case(RuntimeError)
def load_state_shape():
    nn.Linear(2, 2).load_state_dict({"weight": torch.ones(3, 2), "bias": torch.ones(2)})


@case(ValueError)
def optimizer_empty():
    torch.optim.SGD([], lr=0.1)


@case(ValueError)
def optimizer_bad_lr():
    torch.optim.Adam(nn.Linear(1, 1).parameters(), lr=-1)


@case(NotImplementedError)
def softmax_no_dim_int():
    torch.tensor([1, 2]).softmax(0)


@case(ValueError)
def tensor_ragged():
    torch.tensor([[1, 2], [3]])


@case(RuntimeError)
def randint_bad():
    torch.randint(5, 2, (3,))


@case(RuntimeError)
def lstm_input_dim():
    nn.LSTM(4, 3)(torch.randn(5, 4))
    nn.LSTM(4, 3)(torch.randn(5, 2, 3))


@case(IndexError)
def squeeze_dim_oob():
    torch.ones(2, 3).sum(dim=2)


@case(RuntimeError)
def detach_grad():
    x = torch.ones(2, requires_grad=True)
    y = x.detach() * 2
    y.sum().backward()


@case(IndexError)
def float_index():
    torch.arange(4)[torch.tensor([1.0])]


@case(IndexError)
def bool_mask_shape():
    torch.arange(4)[torch.tensor([True, False])]


@case(IndexError)
def sequential_index():
    nn.Sequential(nn.ReLU())[3]


@case(AttributeError)
def module_attr():
    print(nn.Linear(2, 2).weights)


@case(ValueError)
def dataloader_bad_batch():
    from torch.utils.data import DataLoader

    DataLoader([1, 2, 3], batch_size=0)


@case(RuntimeError)
def multinomial_neg():
    torch.multinomial(torch.tensor([0.5, -0.1]), 1)


@case(RuntimeError)
def expand_bad():
    torch.ones(2, 3).expand(4, 3)


@case(RuntimeError)
def to_bad_dtype():
    torch.ones(2).to("float32")


for fn, expected in cases:
    try:
        fn()
        print(f"{fn.__name__:24s} no error")
    except Exception as e:
        print(f"{fn.__name__:24s} raised {expected.__name__}: {isinstance(e, expected)}")
