import torch

a = torch.tensor([1, 2, 3])
b = torch.tensor([1.5, 2.5, 3.5])
print(a + b, (a + b).dtype)
print(a / 2, a // 2, a % 2, -a // 2, -a % 2, a * 0.5, a**2, a**0.5, 2**a, 2.0**a)
print(torch.tensor([-7, 7]) // torch.tensor([2, -2]), torch.tensor([-7, 7]) % torch.tensor([2, -2]))
print(torch.tensor([-7.5, 7.5]) // 2, torch.tensor([-7.5, 7.5]) % 2)
print(torch.fmod(torch.tensor([-7, 7]), 2), torch.remainder(torch.tensor([-7, 7]), 2))
u = torch.tensor([250, 3], dtype=torch.uint8)
print(u + 10, u - 5, (u + 10).dtype, u * 2)
i8 = torch.tensor([100], dtype=torch.int8)
print(i8 + i8, i8 * 2)
bo = torch.tensor([True, False, True])
print(bo + bo, bo.sum(), bo.float().mean(), bo * 3, (bo * 3).dtype, bo & ~bo, bo | bo, bo ^ bo)
print(
    torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2]),
    (torch.tensor([1], dtype=torch.int32) + 1).dtype,
)
print(
    (torch.tensor([1], dtype=torch.int32) + 1.0).dtype, (torch.tensor([1.0], dtype=torch.float16) + 1.0).dtype
)
print((torch.tensor([1.0], dtype=torch.float16) + torch.tensor([1.0])).dtype)
print((torch.tensor(1.0, dtype=torch.float64) + torch.tensor([1.0])).dtype)
print((torch.tensor(1, dtype=torch.int64) + torch.tensor([1], dtype=torch.int8)).dtype)
print((torch.tensor(1.0) + torch.tensor([1], dtype=torch.int8)).dtype)
print(
    torch.result_type(a, 1.0),
    torch.promote_types(torch.int32, torch.float16),
    torch.can_cast(torch.float, torch.int),
)
print(
    a.float().dtype,
    a.double().dtype,
    a.half(),
    a.long().dtype,
    b.int(),
    b.to(torch.int64),
    b.type(torch.IntTensor),
)
print(b.type(), a.type(), a.to(dtype=torch.float32).type())
print(
    torch.tensor([2.7, -2.7]).long(),
    torch.tensor([2.5, 3.5, -2.5]).round(),
    torch.tensor([1.23456]).round(decimals=2),
)
print(torch.arange(5) / torch.arange(5))
print(torch.arange(0, 1, 0.25), torch.arange(5.0).dtype, torch.arange(1, 4).dtype, torch.linspace(0, 1, 5))
print(
    torch.tensor(3) / torch.tensor(2),
    torch.true_divide(torch.tensor(3), 2),
    torch.div(torch.tensor([-3, 3]), 2, rounding_mode="floor"),
    torch.div(torch.tensor([-3, 3]), 2, rounding_mode="trunc"),
)
print(torch.tensor([1, 2]).mean(dtype=torch.float32))
print(
    torch.zeros(3, dtype=torch.long).fill_(2.7),
    torch.full((2,), 7).dtype,
    torch.full((2,), 7.0).dtype,
    torch.full((2,), True).dtype,
)
x = torch.zeros(3)
x[0] = 5
x[1:] = torch.tensor([1, 2])
print(x, x.dtype)
y = torch.zeros(3, dtype=torch.long)
y += 2
print(y)
try:
    y += 1.5
except Exception as e:
    print(isinstance(e, RuntimeError), e)
try:
    torch.tensor([1, 2]).mean()
except Exception as e:
    print(isinstance(e, RuntimeError))
print(
    torch.tensor([1, 2, 3]).sum().dtype,
    torch.tensor([1, 2], dtype=torch.int32).sum().dtype,
    torch.tensor([True]).sum().dtype,
    torch.tensor([1, 2], dtype=torch.uint8).cumsum(0).dtype,
)
print(
    torch.tensor([1, 2]).prod(),
    torch.tensor([1.0, 2.0]).std(),
    torch.tensor([3, 1, 2]).max(),
    torch.tensor([3, 1, 2]).float().var(unbiased=False),
)
print(
    torch.tensor(5).item(),
    type(torch.tensor(5).item()),
    type(torch.tensor(5.0).item()),
    type(torch.tensor(True).item()),
)
print(
    int(torch.tensor(3.9)),
    float(torch.tensor(3)),
    bool(torch.tensor(0.0)),
    torch.tensor([2.5]).tolist(),
    torch.tensor([[1, 2]]).tolist(),
)
print(torch.tensor(2) * 1.5, torch.tensor(2) + True, torch.tensor([1, 2]) == 1.0, torch.tensor(1.5) > 1)
print(
    abs(torch.tensor([-1, 2])), -torch.tensor([True]).int(), torch.tensor([1.0, float("nan"), float("inf")])
)
print(
    torch.tensor(float("nan")) == torch.tensor(float("nan")),
    torch.isnan(torch.tensor([1.0, float("nan")])).any(),
)
print(
    torch.tensor([3.0]).clamp(0, 1), torch.tensor([3]).clamp(max=2.5), torch.tensor([3]).clamp(max=2.5).dtype
)
print(
    torch.tensor(1e10),
    torch.tensor([1e-5, 1.0]),
    torch.tensor([1e-5, 1e5]),
    torch.tensor([0.1, 100.0]),
    torch.tensor([123456.0, 1.0]),
)
