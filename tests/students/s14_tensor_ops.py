import torch
x = torch.arange(12).reshape(3, 4)
x[0]
x[:, 1]
x[x > 5]
x[[0, 2]]
x[torch.tensor([True, False, True])]
x[torch.tensor([1, 0, 1])]
x[3]
x[:, 4]
x[0, 0].item()
x[0].item()
x.view(4, 3)
x.transpose(0, 1).view(12)
x.T
x.mT
x.sum(dim=2)
x.float().mean(dim=(0, 1))
x.max(dim=1)
x.max(dim=1)[0]
x.argmax()
x.argmax(dim=1, keepdim=True)
torch.cat([x, x], dim=0).shape
torch.cat([x, x.T])
torch.stack([x, x]).shape
torch.cat(x, x)
torch.cat((x, x.float()))
x.unsqueeze(0).shape
x.squeeze(0).shape
x.flatten()
x.reshape(-1, -1)
x.reshape(5, -1)
x.float() ** 2
x.pow(0.5)
x.sqrt()
x.clamp(min=2, max=8)
x.clip(2, 8)
x.numel(), x.dim(), len(x), x.size(0)
x.to(float)
x.to('cpu', torch.float16).dtype
x.type(torch.FloatTensor)
torch.FloatTensor([1, 2])
torch.LongTensor([1.5, 2])
torch.Tensor([1, 2])
torch.Tensor(2, 3).shape
x.new_zeros(2)
torch.zeros_like(x, dtype=torch.float)
torch.full((2, 2), 7)
torch.full((2, 2), 7.0)
torch.eye(3)
torch.where(x > 5, x, 0)
torch.where(x > 5, x, 0.5)
torch.where(x > 5)
x.abs().sum().item()
torch.linspace(0, 1, 5)
torch.linspace(0, 1)
x.chunk(2)
x.split(2)
x.split([1, 2])
x.split([1, 1])
x.tolist()
x.shape[2]
