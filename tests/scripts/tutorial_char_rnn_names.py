import string
import torch
import torch.nn as nn

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {
    "English": ["Smith", "Jones", "Taylor", "Brown", "Wilson"],
    "French": ["Dubois", "Lefebvre", "Moreau", "Laurent", "Girard"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi"],
}
all_categories = list(category_lines)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor("J"))
print(lineToTensor("Jones").size())
idx = torch.tensor([letterToIndex(c) for c in "Jones"])
onehot = torch.zeros(5, n_letters).scatter_(1, idx.unsqueeze(1), 1.0)
print(torch.equal(onehot, lineToTensor("Jones").squeeze(1)), onehot.nonzero()[:, 1])


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


torch.manual_seed(0)
n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
output, next_hidden = rnn(letterToTensor("A"), torch.zeros(1, n_hidden))
print(output)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))
criterion = nn.NLLLoss()
learning_rate = 0.005


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


g = torch.Generator().manual_seed(3)
current_loss = 0
for it in range(1, 61):
    ci = torch.randint(n_categories, (1,), generator=g).item()
    li = torch.randint(5, (1,), generator=g).item()
    category = all_categories[ci]
    line = category_lines[category][li]
    category_tensor = torch.tensor([ci], dtype=torch.long)
    output, loss = train(category_tensor, lineToTensor(line))
    current_loss += loss
    if it % 20 == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %.4f %s / %s %s" % (it, loss, line, guess, correct))
print(round(current_loss, 3))

# the same with nn.GRU over a batch
gru = nn.GRU(n_letters, 16, batch_first=True)
head = nn.Linear(16, n_categories)
names = ["Smith", "Rossi", "Moreau"]
x = torch.stack([lineToTensor(n[:5]).squeeze(1) for n in names])
out, h = gru(x)
logits = head(h[-1])
print(out.shape, h.shape, logits.softmax(-1).sum(1))
print(nn.functional.cross_entropy(logits, torch.tensor([0, 2, 1])))
confusion = torch.zeros(n_categories, n_categories)
for i, j in zip([0, 1, 2, 2], logits.argmax(1).tolist() + [0]):
    confusion[i][j] += 1
confusion = confusion / confusion.sum(1, keepdim=True)
print(confusion)
