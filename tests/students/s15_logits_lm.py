import torch
import torch.nn.functional as F
torch.manual_seed(0)
vocab = ['the', 'cat', 'sat', 'on', 'mat']
logits = torch.randn(1, 4, 5)
last = logits[0, -1]
probs = last.softmax(dim=-1)
print(probs, probs.sum())
probs.argmax()
vocab[probs.argmax()]
vocab[probs.argmax().item()]
vocab[torch.tensor(2)]
[vocab[i] for i in probs.topk(3).indices]
torch.multinomial(probs, 1)
torch.multinomial(probs, num_samples=3, replacement=True)
torch.multinomial(last, 1)
torch.multinomial(probs, 10)
(last / 0.5).softmax(-1)
F.softmax(last / 0.0, dim=-1)
torch.log_softmax(last, -1).exp()
F.log_softmax(last)
-torch.log(probs[2])
F.cross_entropy(logits[0, :-1], torch.tensor([1, 2, 3]))
F.cross_entropy(logits[0], torch.tensor([1, 2, 3, 4]), reduction='none')
F.cross_entropy(logits, torch.tensor([[1, 2, 3, 4]]))
F.cross_entropy(logits.transpose(1, 2), torch.tensor([[1, 2, 3, 4]]))
F.cross_entropy(logits.view(-1, 5), torch.tensor([1, 2, 3, 4]))
F.cross_entropy(logits.view(-1, 5), torch.tensor([[1, 2, 3, 4]]).view(-1))
torch.exp(F.cross_entropy(logits.view(-1, 5), torch.tensor([1, 2, 3, 4])))
F.cross_entropy(logits.view(-1, 5), torch.tensor([1, 2, 3, -100]), ignore_index=-100)
F.cross_entropy(logits.view(-1, 5), torch.tensor([1, 2, 3, -100]))
probs.max().item() * 100
f"{probs.max() * 100:.1f}%"
print(f"{probs[0]:.2%}", f"{probs.max():5.2f}", f"{probs.max():e}", f"{probs.max()!r}")
f"{probs:.2f}"
'%.3f' % probs.max()
'%.3f' % probs
'{:.2f}'.format(probs[1])
str(probs.max())
print(probs.max(), repr(probs.max()), probs.max().item())
