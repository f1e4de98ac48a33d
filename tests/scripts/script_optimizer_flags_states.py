import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(16, 3)
Y = torch.randn(16, 1)


def train(make, steps=5, closure=False):
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = make(m.parameters())
    for _ in range(steps):

        def cl():
            opt.zero_grad()
            l = nn.functional.mse_loss(m(X), Y)
            l.backward()
            return l

        if closure:
            opt.step(cl)
        else:
            cl()
            opt.step()
    return m, opt


cfgs = {
    "sgd_damp": lambda p: torch.optim.SGD(
        p, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=1e-2, maximize=False
    ),
    "sgd_max": lambda p: torch.optim.SGD(p, lr=0.01, maximize=True),
    "adam_ams": lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.1, foreach=False),
    "adam_dec": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01),
    "adamw_ams": lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True, maximize=True),
    "nadam": lambda p: torch.optim.NAdam(
        p, lr=0.01, momentum_decay=0.004, decoupled_weight_decay=True, weight_decay=0.1
    ),
    "radam": lambda p: torch.optim.RAdam(p, lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
    "adamax": lambda p: torch.optim.Adamax(p, lr=0.01, weight_decay=0.1),
    "adagrad": lambda p: torch.optim.Adagrad(
        p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01
    ),
    "adadelta": lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.8, weight_decay=0.01),
    "rmsprop": lambda p: torch.optim.RMSprop(
        p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01
    ),
    "rprop": lambda p: torch.optim.Rprop(p, lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-5, 1)),
    "asgd": lambda p: torch.optim.ASGD(p, lr=0.01, t0=2, lambd=1e-3),
    "adafactor": lambda p: (
        torch.optim.Adafactor(p, lr=0.01)
        if hasattr(torch.optim, "Adafactor")
        else torch.optim.SGD(p, lr=0.01)
    ),
}
for name, make in cfgs.items():
    m, opt = train(make)
    st = opt.state_dict()["state"].get(0, {})
    print(
        name,
        nn.utils.parameters_to_vector(m.parameters())[:4],
        sorted(st.keys()),
        {k: (v.flatten()[:2] if torch.is_tensor(v) else v) for k, v in st.items()},
    )
m, opt = train(
    lambda p: torch.optim.LBFGS(p, lr=0.5, history_size=5, max_iter=4, line_search_fn="strong_wolfe"),
    steps=3,
    closure=True,
)
print(
    "lbfgs",
    nn.utils.parameters_to_vector(m.parameters())[:4],
    opt.state_dict()["state"][0]["n_iter"],
    opt.state_dict()["state"][0]["func_evals"],
)
m, opt = train(lambda p: torch.optim.LBFGS(p, lr=0.1), steps=2, closure=True)
print("lbfgs2", nn.utils.parameters_to_vector(m.parameters())[:4])
m, opt = train(lambda p: torch.optim.Adam(p, lr=torch.tensor(0.01)))
print("tensor_lr", nn.utils.parameters_to_vector(m.parameters())[:4], opt.param_groups[0]["lr"])
