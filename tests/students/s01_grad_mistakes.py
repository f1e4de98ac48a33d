import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
x = torch.tensor([1.0, 2.0, 3.0])
loss = ((w * x).sum() - 2) ** 2
loss.backward()
print(w.grad)
w -= 0.1 * w.grad
w = w - 0.1 * w.grad
print(w.requires_grad, w.is_leaf, w.grad_fn)
w.grad
loss2 = (w * x).sum()
loss2.backward()
print(w.grad)
w.numpy()
w.detach().numpy()
import numpy as np
np.array(w)
np.array(w.detach())
w.tolist()
print(f"{loss:.3f}", f"{loss}", f"{loss.item():.4f}")
f"{w:.3f}"
w.item()
round(loss.item(), 2)
round(loss, 2)
print(float(loss), int(loss))
float(w)
