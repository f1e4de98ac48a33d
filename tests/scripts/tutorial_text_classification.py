import time
import torch
from torch import nn
from torch.utils.data import DataLoader

torch.manual_seed(0)
texts = [
    (1, "stocks rally as markets rise"),
    (2, "team wins the final match"),
    (3, "new chip makes computers faster"),
    (0, "world leaders meet for talks"),
    (1, "markets fall on rate fears"),
    (2, "striker scores twice in match"),
    (3, "software update fixes the bug"),
    (0, "talks end without a deal"),
] * 4
tokenizer = str.split
vocab_words = sorted({w for _, t in texts for w in tokenizer(t)})
vocab = {w: i + 1 for i, w in enumerate(vocab_words)}
text_pipeline = lambda x: [vocab.get(tok, 0) for tok in tokenizer(x)]
label_pipeline = lambda x: int(x)
print(text_pipeline("markets rise on chip news"), label_pipeline("2"))


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


num_class = 4
model = TextClassificationModel(len(vocab) + 1, 16, num_class)
print(model)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
train_dataloader = DataLoader(texts[:24], batch_size=8, shuffle=True, collate_fn=collate_batch)
valid_dataloader = DataLoader(texts[24:], batch_size=8, shuffle=False, collate_fn=collate_batch)


def train(dataloader):
    model.train()
    total_acc, total_count = 0, 0
    for idx, (label, text, offsets) in enumerate(dataloader):
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
    return total_acc / total_count


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for idx, (label, text, offsets) in enumerate(dataloader):
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count, loss.item()


total_accu = None
for epoch in range(1, 6):
    epoch_start_time = time.time()
    tr = train(train_dataloader)
    accu_val, lv = evaluate(valid_dataloader)
    if total_accu is not None and total_accu > accu_val:
        scheduler.step()
    else:
        total_accu = accu_val
    print(
        f"| end of epoch {epoch:3d} | train {tr:8.3f} | valid accuracy {accu_val:8.3f} | loss {lv:.4f} | lr {scheduler.get_last_lr()}"
    )
ag_news_label = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tec"}


def predict(text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item() + 1


print("This is a %s news" % ag_news_label[predict("team scores in the final", text_pipeline)])
bag = nn.EmbeddingBag(10, 3, mode="max")
print(bag(torch.tensor([[1, 2], [3, 4]])).shape)
bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0)
inp = torch.tensor([1, 0, 2, 3])
print(bag(inp, torch.tensor([0, 2]), per_sample_weights=torch.tensor([1.0, 2.0, 0.5, 1.0])).shape)
print(nn.EmbeddingBag(10, 3, mode="mean")(inp, torch.tensor([0, 2]), per_sample_weights=None).shape)
