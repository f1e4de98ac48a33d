# What nanoGPT-style training scripts do with torch._dynamo before (or instead of) compiling:
# set the tracer's switches, read them back, reset, hint shapes, unwrap a compiled model.
import torch
import torch._dynamo
import torch.nn as nn

torch._dynamo.config.suppress_errors = True
torch._dynamo.config.cache_size_limit = 64
torch._dynamo.config.optimize_ddp = False
print(torch._dynamo.config.suppress_errors, torch._dynamo.config.cache_size_limit)
print(torch._dynamo.config.capture_scalar_outputs, torch._dynamo.config.automatic_dynamic_shapes)
try:
    torch._dynamo.config.no_such_switch = 1
except AttributeError as e:
    print("AttributeError", e)
with torch._dynamo.config.patch(verbose=True):
    print("patched", torch._dynamo.config.verbose)
print("after", torch._dynamo.config.verbose)
torch._dynamo.config.suppress_errors = False
print(torch._dynamo.reset(), torch._dynamo.is_compiling())

torch.manual_seed(0)
net = nn.Linear(4, 2)
x = torch.randn(3, 4)
torch._dynamo.mark_dynamic(x, 0)
model = torch.compile(net)
print(isinstance(model, torch._dynamo.eval_frame.OptimizedModule), type(model).__name__)
raw = model._orig_mod if isinstance(model, torch._dynamo.eval_frame.OptimizedModule) else model
print(raw is net, sorted(model.state_dict()))


@torch._dynamo.disable
def eager_only(t):
    return t * 2


print(eager_only(x).sum().item() == (x * 2).sum().item())
