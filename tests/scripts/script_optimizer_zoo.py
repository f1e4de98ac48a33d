import torch
import torch.nn as nn


def rosenbrock(xy):
    x, y = xy
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


optimizers = {
    "SGD": lambda p: torch.optim.SGD(p, lr=1e-3),
    "SGD+mom": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, dampening=0.1),
    "Adam": lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.8, 0.99)),
    "AMSGrad": lambda p: torch.optim.Adam(p, lr=1e-2, amsgrad=True),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=1e-2),
    "RMSprop": lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
    "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    "Adadelta": lambda p: torch.optim.Adadelta(p, lr=1.0),
    "Adamax": lambda p: torch.optim.Adamax(p, lr=0.02),
    "NAdam": lambda p: torch.optim.NAdam(p, lr=0.01),
    "RAdam": lambda p: torch.optim.RAdam(p, lr=0.01),
    "Rprop": lambda p: torch.optim.Rprop(p, lr=0.001),
    "ASGD": lambda p: torch.optim.ASGD(p, lr=1e-3),
}
for name, make in optimizers.items():
    xy = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = make([xy])
    for i in range(60):
        opt.zero_grad()
        loss = rosenbrock(xy)
        loss.backward()
        opt.step()
    print(f"{name:8s} loss={loss.item():.5f} xy={xy.detach().numpy().round(4).tolist()}")
xy = torch.tensor([-1.5, 2.0], requires_grad=True)
opt = torch.optim.LBFGS([xy], lr=1, line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = rosenbrock(xy)
    loss.backward()
    return loss


for _ in range(5):
    opt.step(closure)
print("LBFGS", xy.detach(), len(opt.state[xy]))
torch.manual_seed(0)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-2, maximize=False)
opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "lr": 0.5})
print(len(opt.param_groups), opt.param_groups[1]["weight_decay"], opt.param_groups[1]["momentum"])
print(opt.defaults["lr"], sorted(opt.defaults))
sd = opt.state_dict()
print(sd["param_groups"][1]["params"], sd["state"])
opt = torch.optim.Adam(model.parameters())
model(torch.ones(1, 3)).sum().backward()
opt.step()
st = opt.state[model.weight]
print(sorted(st), st["step"], st["exp_avg"], st["exp_avg_sq"])
opt.zero_grad(set_to_none=False)
print(model.weight.grad)
opt.zero_grad()
print(model.weight.grad)
