"""pytorch/examples fast_neural_style: TransformerNet (ReflectionPad2d, InstanceNorm2d(affine=True), nearest upsampling), gram_matrix, normalize_batch, a frozen VGG-like namedtuple output, saving and reloading the state dict."""

import os
import re
import shutil
import tempfile
from collections import namedtuple
import numpy as np
import torch
from torch.optim import Adam


class TransformerNet(torch.nn.Module):
    def __init__(self):
        super(TransformerNet, self).__init__()
        self.conv1 = ConvLayer(3, 4, kernel_size=9, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(4, affine=True)
        self.conv2 = ConvLayer(4, 6, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(6, affine=True)
        self.res1 = ResidualBlock(6)
        self.res2 = ResidualBlock(6)
        self.deconv1 = UpsampleConvLayer(6, 4, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(4, affine=True)
        self.deconv3 = ConvLayer(4, 3, kernel_size=9, stride=1)
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.res1(y)
        y = self.res2(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.deconv3(y)
        return y


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(torch.nn.Module):
    def __init__(self, channels):
        super(ResidualBlock, self).__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super(UpsampleConvLayer, self).__init__()
        self.upsample = upsample
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = torch.nn.functional.interpolate(x_in, mode="nearest", scale_factor=self.upsample)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


class Vgg16(torch.nn.Module):
    def __init__(self, requires_grad=False):
        super(Vgg16, self).__init__()
        features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3, padding=1),
            torch.nn.ReLU(inplace=True),
            torch.nn.Conv2d(4, 4, 3, padding=1),
            torch.nn.ReLU(inplace=True),
            torch.nn.MaxPool2d(2, 2),
            torch.nn.Conv2d(4, 6, 3, padding=1),
            torch.nn.ReLU(inplace=True),
            torch.nn.Conv2d(6, 6, 3, padding=1),
            torch.nn.ReLU(inplace=True),
        )
        self.slice1 = torch.nn.Sequential()
        self.slice2 = torch.nn.Sequential()
        for x in range(4):
            self.slice1.add_module(str(x), features[x])
        for x in range(4, 9):
            self.slice2.add_module(str(x), features[x])
        if not requires_grad:
            for param in self.parameters():
                param.requires_grad = False

    def forward(self, X):
        h = self.slice1(X)
        h_relu1_2 = h
        h = self.slice2(h)
        h_relu2_2 = h
        vgg_outputs = namedtuple("VggOutputs", ["relu1_2", "relu2_2"])
        out = vgg_outputs(h_relu1_2, h_relu2_2)
        return out


def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    features_t = features.transpose(1, 2)
    gram = features.bmm(features_t) / (ch * h * w)
    return gram


def normalize_batch(batch):
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


np.random.seed(42)
torch.manual_seed(42)
transformer = TransformerNet()
print(transformer.res1)
optimizer = Adam(transformer.parameters(), 1e-3)
mse_loss = torch.nn.MSELoss()
vgg = Vgg16(requires_grad=False)
print(vgg, sum(p.requires_grad for p in vgg.parameters()))
style = torch.rand(3, 8, 8).mul(255)
style = style.repeat(2, 1, 1, 1)
print(style.shape)
features_style = vgg(normalize_batch(style))
print(type(features_style).__name__, features_style._fields, features_style.relu2_2.shape)
gram_style = [gram_matrix(y) for y in features_style]
print([g.shape for g in gram_style], style.max().item() <= 1.0)
data = [(torch.rand(2, 3, 8, 8).mul(255), torch.zeros(2)) for _ in range(3)]
for e in range(1):
    transformer.train()
    agg_content_loss = 0.0
    agg_style_loss = 0.0
    count = 0
    for batch_id, (x, _) in enumerate(data):
        n_batch = len(x)
        count += n_batch
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y = vgg(y)
        features_x = vgg(x)
        content_loss = 1e5 * mse_loss(features_y.relu2_2, features_x.relu2_2)
        style_loss = 0.0
        for ft_y, gm_s in zip(features_y, gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= 1e10
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        agg_content_loss += content_loss.item()
        agg_style_loss += style_loss.item()
        mesg = f"Epoch {e + 1}:\t[{count}/{6}]\tcontent: {agg_content_loss / (batch_id + 1):.6f}\tstyle: {agg_style_loss / (batch_id + 1):.6f}\ttotal: {(agg_content_loss + agg_style_loss) / (batch_id + 1):.6f}"
        print(mesg[:60])
    print(type(style_loss).__name__, style_loss.grad_fn.name())
transformer.eval().cpu()
d = tempfile.mkdtemp()
path = os.path.join(d, "epoch_1.model")
torch.save(transformer.state_dict(), path)
print("Done, trained model saved at", os.path.basename(path))
with torch.no_grad():
    style_model = TransformerNet()
    state_dict = torch.load(path)
    print(type(state_dict).__name__, len(state_dict), list(state_dict)[:3])
    state_dict["in1.running_mean"] = torch.zeros(4)
    for k in list(state_dict.keys()):
        if re.search(r"in\d+\.running_(mean|var)$", k):
            del state_dict[k]
    print(style_model.load_state_dict(state_dict))
    style_model.eval()
    content_image = torch.rand(3, 10, 10).mul(255).unsqueeze(0)
    output = style_model(content_image).cpu()
    print(output.shape, output.requires_grad)
img = output[0].clone().clamp(0, 255).numpy()
img = img.transpose(1, 2, 0).astype("uint8")
print(img.shape, img.dtype)
bad = dict(state_dict)
bad["in1.running_mean"] = torch.zeros(4)
try:
    style_model.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError", str(e).splitlines()[0])
print(torch.nn.InstanceNorm2d(4, affine=True), torch.nn.InstanceNorm2d(4, affine=True).state_dict().keys())
print(torch.nn.InstanceNorm2d(4, track_running_stats=True).state_dict().keys())
print(torch.nn.functional.interpolate(torch.arange(4.0).view(1, 1, 2, 2), mode="nearest", scale_factor=2))
print(torch.nn.ReflectionPad2d(2)(torch.arange(9.0).view(1, 1, 3, 3)))
try:
    torch.nn.ReflectionPad2d(3)(torch.arange(9.0).view(1, 1, 3, 3))
except RuntimeError:
    print("RuntimeError")

shutil.rmtree(d)
