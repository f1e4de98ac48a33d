import os
import pathlib
import tempfile
import warnings

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

device = "cuda" if torch.cuda.is_available() else "cpu"
root = pathlib.Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
for split, n in (("train", 8), ("test", 4)):
    for cls, level in (("pizza", 0.2), ("steak", 0.5), ("sushi", 0.8)):
        (root / split / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            np.save(
                root / split / cls / f"{i}.npy",
                (np.clip(level + 0.2 * rng.standard_normal((32, 32, 3)), 0, 1) * 255).astype(np.uint8),
            )


def walk_through_dir(dir_path):
    for dirpath, dirnames, filenames in sorted(os.walk(dir_path)):
        print(
            f"There are {len(dirnames)} directories and {len(filenames)} images in '{pathlib.Path(dirpath).relative_to(root)}'."
        )


walk_through_dir(root)
train_dir, test_dir = root / "train", root / "test"


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any classes in {directory}.")
    class_to_idx = {cls_name: i for i, cls_name in enumerate(classes)}
    return classes, class_to_idx


print(find_classes(train_dir))


def to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1).type(torch.float32) / 255.0


def random_horizontal_flip(x: torch.Tensor, p=0.5) -> torch.Tensor:
    return x.flip(dims=[-1]) if torch.rand(1) < p else x


class ImageFolderCustom(Dataset):
    def __init__(self, targ_dir: str, transform=None) -> None:
        self.paths = sorted(pathlib.Path(targ_dir).glob("*/*.npy"))
        self.transform = transform
        self.classes, self.class_to_idx = find_classes(targ_dir)

    def load_image(self, index: int) -> np.ndarray:
        return np.load(self.paths[index])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        img = self.load_image(index)
        class_name = self.paths[index].parent.name
        class_idx = self.class_to_idx[class_name]
        x = to_tensor(img)
        if self.transform:
            return self.transform(x), class_idx
        return x, class_idx


torch.manual_seed(42)
train_data_custom = ImageFolderCustom(targ_dir=train_dir, transform=random_horizontal_flip)
test_data_custom = ImageFolderCustom(targ_dir=test_dir)
print(
    len(train_data_custom), len(test_data_custom), train_data_custom.classes, train_data_custom.class_to_idx
)
img, label = train_data_custom[0]
print(f"Image tensor:\n{img[:, :2, :2]}")
print(f"Image shape: {img.shape}")
print(f"Image datatype: {img.dtype}")
print(f"Image label: {label}")
print(f"Label datatype: {type(label)}")
img_permute = img.permute(1, 2, 0)
print(f"Original shape: {img.shape} -> [color_channels, height, width]")
print(f"Image permute shape: {img_permute.shape} -> [height, width, color_channels]")
BATCH_SIZE = 8
NUM_WORKERS = 0
print(f"Creating DataLoader's with batch size {BATCH_SIZE} and {NUM_WORKERS} workers.")
train_dataloader_custom = DataLoader(
    dataset=train_data_custom, batch_size=BATCH_SIZE, num_workers=NUM_WORKERS, shuffle=True
)
test_dataloader_custom = DataLoader(
    dataset=test_data_custom, batch_size=BATCH_SIZE, num_workers=NUM_WORKERS, shuffle=False
)
img_custom, label_custom = next(iter(train_dataloader_custom))
print(f"Image shape: {img_custom.shape} -> [batch_size, color_channels, height, width]")
print(f"Label shape: {label_custom.shape}", label_custom)


class TinyVGG(nn.Module):
    def __init__(self, input_shape: int, hidden_units: int, output_shape: int) -> None:
        super().__init__()
        self.conv_block_1 = nn.Sequential(
            nn.Conv2d(in_channels=input_shape, out_channels=hidden_units, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            nn.Conv2d(
                in_channels=hidden_units, out_channels=hidden_units, kernel_size=3, stride=1, padding=1
            ),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.conv_block_2 = nn.Sequential(
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(in_features=hidden_units * 8 * 8, out_features=output_shape)
        )

    def forward(self, x: torch.Tensor):
        return self.classifier(self.conv_block_2(self.conv_block_1(x)))


torch.manual_seed(42)
model_0 = TinyVGG(input_shape=3, hidden_units=5, output_shape=len(train_data_custom.classes)).to(device)
print(model_0)
img_batch, label_batch = next(iter(train_dataloader_custom))
img_single, label_single = img_batch[0].unsqueeze(dim=0), label_batch[0]
print(f"Single image shape: {img_single.shape}\n")
model_0.eval()
with torch.inference_mode():
    pred = model_0(img_single.to(device))
print(f"Output logits:\n{pred}\n")
print(f"Output prediction probabilities:\n{torch.softmax(pred, dim=1)}\n")
print(f"Output prediction label:\n{torch.argmax(torch.softmax(pred, dim=1), dim=1)}\n")
print(f"Actual label:\n{label_single}")


def train_step(model, dataloader, loss_fn, optimizer):
    model.train()
    train_loss, train_acc = 0, 0
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        y_pred = model(X)
        loss = loss_fn(y_pred, y)
        train_loss += loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        y_pred_class = torch.argmax(torch.softmax(y_pred, dim=1), dim=1)
        train_acc += (y_pred_class == y).sum().item() / len(y_pred)
    return train_loss / len(dataloader), train_acc / len(dataloader)


def test_step(model, dataloader, loss_fn):
    model.eval()
    test_loss, test_acc = 0, 0
    with torch.inference_mode():
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            test_pred_logits = model(X)
            loss = loss_fn(test_pred_logits, y)
            test_loss += loss.item()
            test_pred_labels = test_pred_logits.argmax(dim=1)
            test_acc += (test_pred_labels == y).sum().item() / len(test_pred_labels)
    return test_loss / len(dataloader), test_acc / len(dataloader)


def train(
    model,
    train_dataloader,
    test_dataloader,
    optimizer,
    loss_fn: torch.nn.Module = nn.CrossEntropyLoss(),  # noqa: B008 (as the course)
    epochs: int = 5,
):
    results = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        train_loss, train_acc = train_step(
            model=model, dataloader=train_dataloader, loss_fn=loss_fn, optimizer=optimizer
        )
        test_loss, test_acc = test_step(model=model, dataloader=test_dataloader, loss_fn=loss_fn)
        print(
            f"Epoch: {epoch + 1} | train_loss: {train_loss:.4f} | train_acc: {train_acc:.4f} | test_loss: {test_loss:.4f} | test_acc: {test_acc:.4f}"
        )
        results["train_loss"].append(
            train_loss.item() if isinstance(train_loss, torch.Tensor) else train_loss
        )
        results["train_acc"].append(train_acc.item() if isinstance(train_acc, torch.Tensor) else train_acc)
        results["test_loss"].append(test_loss)
        results["test_acc"].append(test_acc)
    return results


torch.manual_seed(42)
torch.cuda.manual_seed(42)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(params=model_0.parameters(), lr=0.001)
model_0_results = train(
    model=model_0,
    train_dataloader=train_dataloader_custom,
    test_dataloader=test_dataloader_custom,
    optimizer=optimizer,
    loss_fn=loss_fn,
    epochs=3,
)
print({k: [round(v, 4) for v in vs] for k, vs in model_0_results.items()})


def save_model(model: torch.nn.Module, target_dir: str, model_name: str):
    target_dir_path = pathlib.Path(target_dir)
    target_dir_path.mkdir(parents=True, exist_ok=True)
    assert model_name.endswith(".pth") or model_name.endswith(".pt"), (
        "model_name should end with '.pt' or '.pth'"
    )
    model_save_path = target_dir_path / model_name
    print(f"[INFO] Saving model to: {model_save_path.relative_to(root)}")
    torch.save(obj=model.state_dict(), f=model_save_path)


save_model(model_0, root / "models", "05_going_modular_tinyvgg.pth")
loaded = TinyVGG(3, 5, 3)
print(
    loaded.load_state_dict(torch.load(f=root / "models" / "05_going_modular_tinyvgg.pth", weights_only=True))
)
print(all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model_0.state_dict().values())))
try:
    save_model(model_0, root / "models", "bad.txt")
except AssertionError as e:
    print("AssertionError", e)


def set_seeds(seed: int = 42):
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


# 08: ViT from scratch (tiny)
set_seeds()
patch_size = 8
image = img_custom[0]
height, width = image.shape[1], image.shape[2]
conv2d = nn.Conv2d(in_channels=3, out_channels=24, kernel_size=patch_size, stride=patch_size, padding=0)
image_out_of_conv = conv2d(image.unsqueeze(0))
print(image_out_of_conv.shape)
single_feature_map = image_out_of_conv[:, 0, :, :]
print((single_feature_map, single_feature_map.requires_grad))
flatten = nn.Flatten(start_dim=2, end_dim=3)
image_out_of_conv_flattened_reshaped = flatten(image_out_of_conv).permute(0, 2, 1)
print(
    f"Patch embedding sequence shape: {image_out_of_conv_flattened_reshaped.shape} -> [batch_size, num_patches, embedding_size]"
)


class PatchEmbedding(nn.Module):
    def __init__(self, in_channels: int = 3, patch_size: int = 16, embedding_dim: int = 768):
        super().__init__()
        self.patch_size = patch_size
        self.patcher = nn.Conv2d(
            in_channels=in_channels,
            out_channels=embedding_dim,
            kernel_size=patch_size,
            stride=patch_size,
            padding=0,
        )
        self.flatten = nn.Flatten(start_dim=2, end_dim=3)

    def forward(self, x):
        image_resolution = x.shape[-1]
        assert image_resolution % self.patch_size == 0, (
            f"Input image size must be divisible by patch size, image shape: {image_resolution}, patch size: {self.patch_size}"
        )
        return self.flatten(self.patcher(x)).permute(0, 2, 1)


set_seeds()
patchify = PatchEmbedding(in_channels=3, patch_size=8, embedding_dim=24)
patch_embedded_image = patchify(image.unsqueeze(0))
print(f"Output patch embedding shape: {patch_embedded_image.shape}")
try:
    patchify(torch.randn(1, 3, 30, 30))
except AssertionError as e:
    print("AssertionError", e)
batch_size, embedding_dimension = patch_embedded_image.shape[0], patch_embedded_image.shape[-1]
class_token = nn.Parameter(torch.ones(batch_size, 1, embedding_dimension), requires_grad=True)
print(class_token[:, :, :10])
patch_embedded_image_with_class_embedding = torch.cat((class_token, patch_embedded_image), dim=1)
print(patch_embedded_image_with_class_embedding[:, :3, :4], patch_embedded_image_with_class_embedding.shape)
number_of_patches = int((height * width) / patch_size**2)
position_embedding = nn.Parameter(
    torch.ones(1, number_of_patches + 1, embedding_dimension), requires_grad=True
)
patch_and_position_embedding = patch_embedded_image_with_class_embedding + position_embedding
print(patch_and_position_embedding[:, :2, :4], patch_and_position_embedding.grad_fn)


class MultiheadSelfAttentionBlock(nn.Module):
    def __init__(self, embedding_dim: int = 768, num_heads: int = 12, attn_dropout: float = 0):
        super().__init__()
        self.layer_norm = nn.LayerNorm(normalized_shape=embedding_dim)
        self.multihead_attn = nn.MultiheadAttention(
            embed_dim=embedding_dim, num_heads=num_heads, dropout=attn_dropout, batch_first=True
        )

    def forward(self, x):
        x = self.layer_norm(x)
        attn_output, _ = self.multihead_attn(query=x, key=x, value=x, need_weights=False)
        return attn_output


class MLPBlock(nn.Module):
    def __init__(self, embedding_dim: int = 768, mlp_size: int = 3072, dropout: float = 0.1):
        super().__init__()
        self.layer_norm = nn.LayerNorm(normalized_shape=embedding_dim)
        self.mlp = nn.Sequential(
            nn.Linear(in_features=embedding_dim, out_features=mlp_size),
            nn.GELU(),
            nn.Dropout(p=dropout),
            nn.Linear(in_features=mlp_size, out_features=embedding_dim),
            nn.Dropout(p=dropout),
        )

    def forward(self, x):
        return self.mlp(self.layer_norm(x))


class TransformerEncoderBlock(nn.Module):
    def __init__(
        self,
        embedding_dim: int = 768,
        num_heads: int = 12,
        mlp_size: int = 3072,
        mlp_dropout: float = 0.1,
        attn_dropout: float = 0,
    ):
        super().__init__()
        self.msa_block = MultiheadSelfAttentionBlock(
            embedding_dim=embedding_dim, num_heads=num_heads, attn_dropout=attn_dropout
        )
        self.mlp_block = MLPBlock(embedding_dim=embedding_dim, mlp_size=mlp_size, dropout=mlp_dropout)

    def forward(self, x):
        x = self.msa_block(x) + x
        x = self.mlp_block(x) + x
        return x


set_seeds()
transformer_encoder_block = TransformerEncoderBlock(embedding_dim=24, num_heads=4, mlp_size=48)
print(transformer_encoder_block)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch_transformer_encoder_layer = nn.TransformerEncoderLayer(
        d_model=24,
        nhead=4,
        dim_feedforward=48,
        dropout=0.1,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )
    encoder = nn.TransformerEncoder(torch_transformer_encoder_layer, num_layers=2)
print(torch_transformer_encoder_layer)
print([(w.category.__name__, str(w.message)) for w in caught])
encoder.eval()
print(encoder(patch_and_position_embedding).shape, sum(p.numel() for p in encoder.parameters()))


class ViT(nn.Module):
    def __init__(
        self,
        img_size: int = 224,
        in_channels: int = 3,
        patch_size: int = 16,
        num_transformer_layers: int = 12,
        embedding_dim: int = 768,
        mlp_size: int = 3072,
        num_heads: int = 12,
        attn_dropout: float = 0,
        mlp_dropout: float = 0.1,
        embedding_dropout: float = 0.1,
        num_classes: int = 1000,
    ):
        super().__init__()
        assert img_size % patch_size == 0, (
            f"Image size must be divisible by patch size, image size: {img_size}, patch size: {patch_size}."
        )
        self.num_patches = (img_size * img_size) // patch_size**2
        self.class_embedding = nn.Parameter(data=torch.randn(1, 1, embedding_dim), requires_grad=True)
        self.position_embedding = nn.Parameter(
            data=torch.randn(1, self.num_patches + 1, embedding_dim), requires_grad=True
        )
        self.embedding_dropout = nn.Dropout(p=embedding_dropout)
        self.patch_embedding = PatchEmbedding(
            in_channels=in_channels, patch_size=patch_size, embedding_dim=embedding_dim
        )
        self.transformer_encoder = nn.Sequential(
            *[
                TransformerEncoderBlock(
                    embedding_dim=embedding_dim,
                    num_heads=num_heads,
                    mlp_size=mlp_size,
                    mlp_dropout=mlp_dropout,
                )
                for _ in range(num_transformer_layers)
            ]
        )
        self.classifier = nn.Sequential(
            nn.LayerNorm(normalized_shape=embedding_dim),
            nn.Linear(in_features=embedding_dim, out_features=num_classes),
        )

    def forward(self, x):
        batch_size = x.shape[0]
        class_token = self.class_embedding.expand(batch_size, -1, -1)
        x = self.patch_embedding(x)
        x = torch.cat((class_token, x), dim=1)
        x = self.position_embedding + x
        x = self.embedding_dropout(x)
        x = self.transformer_encoder(x)
        x = self.classifier(x[:, 0])
        return x


set_seeds()
random_image_tensor = torch.randn(1, 3, 32, 32)
vit = ViT(
    img_size=32,
    patch_size=8,
    num_transformer_layers=2,
    embedding_dim=24,
    mlp_size=48,
    num_heads=4,
    num_classes=len(train_data_custom.classes),
)
print(vit(random_image_tensor))
print(sum(p.numel() for p in vit.parameters() if p.requires_grad), [n for n, _ in vit.named_parameters()][:4])
set_seeds()
optimizer = torch.optim.Adam(params=vit.parameters(), lr=3e-3, betas=(0.9, 0.999), weight_decay=0.3)
vit_results = train(
    model=vit,
    train_dataloader=train_dataloader_custom,
    test_dataloader=test_dataloader_custom,
    optimizer=optimizer,
    loss_fn=torch.nn.CrossEntropyLoss(),
    epochs=1,
)
for parameter in vit.patch_embedding.parameters():
    parameter.requires_grad = False
print([n for n, p in vit.named_parameters() if not p.requires_grad])
vit.classifier = nn.Linear(in_features=24, out_features=3).to(device)
print(vit.classifier, sum(p.numel() for p in vit.parameters() if p.requires_grad))
try:
    ViT(img_size=30, patch_size=8)
except AssertionError as e:
    print("AssertionError", e)
