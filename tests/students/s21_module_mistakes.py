import torch
from torch import nn
class NoSuper(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 1)
NoSuper()
class NoForward(nn.Module):
    def __init__(self):
        super().__init__(); self.fc = nn.Linear(2, 1)
NoForward()(torch.ones(1, 2))
class Typo(nn.Module):
    def __init__(self):
        super().__init__(); self.fc = nn.Linear(2, 1)
    def foward(self, x): return self.fc(x)
Typo()(torch.ones(1, 2))
class Good(nn.Module):
    def __init__(self):
        super().__init__(); self.fc = nn.Linear(2, 1)
    def forward(self, x): return self.fc(x)
m = Good()
m.forward(torch.ones(1, 2)).shape
m(torch.ones(1, 2), torch.ones(1))
m.fc2
m.fc.weight.shape
print(m)
params = m.parameters()
print(len(list(params)), len(list(params)))
m.parameters()[0]
list(m.parameters())[0].shape
m.cuda()
m.to('cuda')
torch.ones(2).cuda()
torch.ones(2).to('cuda')
torch.ones(2, device='cuda')
print(torch.cuda.is_available(), torch.device('cuda' if torch.cuda.is_available() else 'cpu'))
dev = torch.device('cpu'); print(dev, m.to(dev) is m, torch.ones(2).to(dev).device)
torch.device('gpu')
torch.ones(2).to('mps')
m.zero_grad(); print(m.fc.weight.grad)
m(torch.ones(1, 2)).sum().backward(); m.zero_grad(); print(m.fc.weight.grad)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
opt.step()
opt.zero_grad(set_to_none=False); print(m.fc.weight.grad)
print(opt)
print(opt.param_groups[0]['lr'])
opt.param_groups[0]['lr'] = 0.01
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
sched.step(); print(sched.get_last_lr())
m.state_dict()['fc.weight'].shape
m.load_state_dict(m.state_dict())
m.load_state_dict({'weight': torch.ones(1, 2)})
m.eval()(torch.ones(2)).shape
m.half()(torch.ones(1, 2))
