import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(1, 2, 5, 7, requires_grad=True)
for kw in [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(3, 4), mode="nearest"),
    dict(size=(8, 9), mode="nearest-exact"),
    dict(scale_factor=1.5, mode="bilinear"),
    dict(size=(3, 3), mode="bilinear", align_corners=True),
    dict(size=(3, 3), mode="bilinear", antialias=True),
    dict(size=(9, 11), mode="bicubic"),
    dict(size=(9, 11), mode="bicubic", align_corners=True),
    dict(size=(2, 3), mode="area"),
    dict(scale_factor=(0.5, 0.7), mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=0.6, mode="nearest"),
    dict(size=(3, 3), mode="bicubic", antialias=True),
]:
    try:
        y = F.interpolate(x, **kw)
        w = torch.arange(y.numel(), dtype=torch.float32).view_as(y) / y.numel()
        x.grad = None
        (y * w).sum().backward()
        print(
            kw,
            tuple(y.shape),
            round(y.sum().item(), 4),
            round(y[0, 1, -1, -1].item(), 4),
            round(x.grad.abs().sum().item(), 4),
        )
    except Exception as e:
        print(kw, "EXC", type(e).__name__)
v = torch.randn(1, 1, 3, 4, 5)
print(
    F.interpolate(v, scale_factor=2, mode="trilinear").sum(),
    F.interpolate(torch.randn(1, 2, 7), size=4, mode="linear").sum(),
    F.interpolate(torch.randn(1, 2, 7), scale_factor=0.5).shape,
)
print(
    F.adaptive_avg_pool2d(x, (3, 4)).sum(),
    F.adaptive_max_pool2d(x, (2, 3), return_indices=True)[1],
    F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False).shape,
    F.max_pool2d(x, 3, 2, ceil_mode=True).shape,
)
print(
    F.avg_pool2d(x, 2, divisor_override=3).sum(),
    F.lp_pool2d(x.abs(), 2, 2).sum(),
    F.max_pool2d(x, 2, dilation=2).shape,
)
