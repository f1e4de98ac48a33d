"""The model graph SummaryWriter.add_graph logs: a TensorBoard GraphDef recorded from one forward pass.

torch builds it by tracing the model with TorchScript (torch.jit.trace) and converting the traced
graph's nodes. pyneuro has no tracer, but it has what the trace is made of: every differentiable op a
forward pass runs leaves an autograd node (`grad_fn`) pointing at the nodes of its inputs. So:

1. The inputs are copied into tensors that require grad (`clone()`d, so that a forward that modifies
   its input in place still runs), and the model runs once in eval mode with autograd on: every op
   that depends on an input or a parameter is recorded.
2. Forward pre-hooks and hooks on every submodule note which module ran which nodes: when a module
   returns, the not-yet-claimed nodes between its outputs and its inputs are its own. Inner modules
   return first, so each node goes to the innermost module that ran it, and its name is scoped as
   torch's are: `Net/Sequential[seq]/Linear[1]/addmm.12`.
3. Walking back from the outputs gives the nodes in order: the inputs are `input/<argument name>`
   IO nodes, parameters `prim::GetAttr` nodes in their module's scope, each op `aten::<op>` (from
   its grad_fn's class: AddmmBackward0 -> aten::addmm), the outputs `output/output.<i>` IO nodes.
   Tensor shapes are known (and shown) for inputs, parameters and every module's inputs and outputs.

Unlike torch's trace, what autograd does not record has no node here: ops that depend on neither a
float input nor a parameter that requires grad (a torch.zeros made inside forward; a frozen layer's
weights, though its ops on the input are there), ops run under no_grad inside forward, integer
arithmetic and constants. `onnx_graph` converts an ONNX file instead (add_onnx_graph).
"""

import inspect
import re

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ...autograd.function import AccumulateGrad
from ...autograd.grad_mode import enable_grad
from ...autograd.shown import engine_edges
from ...nn.modules.module import Module
from ...tensor import Tensor

__all__ = ["graph", "onnx_graph"]


def _tensors(value):
    """The tensors in a (nested) tuple, list or dict of values, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _op_name(node):
    """aten::<op> from the grad_fn's class name, CamelCase to snake_case: AddmmBackward0 -> aten::addmm,
    MaxPool2DWithIndicesBackward0 -> aten::max_pool2d_with_indices."""
    name = re.sub(r"Backward\d*$", "", type(node).__name__)
    return "aten::" + re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _key(node):
    """A node's identity: an AccumulateGrad is made afresh each time next_functions is read, so a
    leaf is known by its tensor."""
    return ("leaf", id(node.variable)) if isinstance(node, AccumulateGrad) else id(node)


def _parents(node):
    return [n for n, _ in engine_edges(node) if n is not None]


def _node_def(name, op, inputs=(), shape=None, attr=""):
    attrs = {"attr": AttrValue(s=attr.encode("utf-8"))}
    if shape is not None:
        dims = TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])
        attrs["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[dims]))
    return NodeDef(name=name, op=op, input=list(inputs), attr=attrs)


class _Recorder:
    """The hooks of step 2: which module scope each autograd node belongs to, and known shapes."""

    def __init__(self, model):
        self.scope_of = {}  # id(grad_fn) -> scope
        self.claimed_at = {}  # id(grad_fn) -> when it was claimed (0, 1, 2, ... in claiming order)
        self.shape_of = {}  # id(grad_fn) -> output shape
        self.keep = []  # the grad_fns whose ids are keys, kept alive so that no id is reused
        self.frames = []  # per running module: (scope, ids of its inputs' grad_fns, claims made before it)
        self.names = {}  # id(module) -> its scope component, Class[attribute]
        self.root = type(model).__name__
        if isinstance(model, Module):
            for name, module in model.named_modules():
                if name:
                    self.names[id(module)] = f"{type(module).__name__}[{name.rsplit('.', 1)[-1]}]"

    def scope(self, module):
        parent = self.frames[-1][0] if self.frames else None
        if parent is None:
            return self.root
        return parent + "/" + self.names.get(id(module), type(module).__name__)

    def pre_hook(self, module, args, kwargs):
        stops = set()
        for t in _tensors((args, kwargs)):
            if t.grad_fn is not None:
                stops.add(id(t.grad_fn))
                self.note_shape(t)  # the shape of what a functional op between modules made
        self.frames.append((self.scope(module), stops, len(self.claimed_at)))

    def note_shape(self, t):
        self.shape_of.setdefault(id(t.grad_fn), tuple(t.shape))
        self.keep.append(t.grad_fn)  # a tensor dropped later must not free its grad_fn's id for reuse

    def hook(self, module, args, kwargs, output):
        self.claim(*self.frames.pop(), output)

    def claim(self, scope, stops, started, output):
        """Give `scope` the unclaimed nodes between the tensors of `output` and the `stops`. The walk
        goes on through nodes its inner modules claimed, but ends at nodes claimed before the module
        started (a state kept from an earlier call): those and all before them are not its own."""
        seen = set()
        todo = []
        for t in _tensors(output):
            if t.grad_fn is not None:
                self.note_shape(t)
                todo.append(t.grad_fn)
        while todo:
            node = todo.pop()
            key = id(node)
            if key in seen or key in stops or isinstance(node, AccumulateGrad):
                continue
            seen.add(key)
            if key not in self.scope_of:
                self.scope_of[key] = scope
                self.claimed_at[key] = len(self.claimed_at)
                self.keep.append(node)
            elif self.claimed_at[key] < started:
                continue
            todo.extend(_parents(node))


def _input_names(model, count):
    """The forward's argument names for the inputs (torch's IO nodes use them), else input.<i>."""
    try:
        params = list(
            inspect.signature(model.forward if isinstance(model, Module) else model).parameters.values()
        )
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"input.{i}" for i in range(count)]


def _run(model, args):
    """Step 1 and 2: run the model once, recording; the fed inputs' nodes, the output and the scopes."""
    recorder = _Recorder(model)
    input_nodes, io_nodes = {}, []

    def feed(name, a):
        """The argument the model gets for `a`: a float tensor is copied into one that requires grad,
        a tuple or list of tensors (an LSTM's (h0, c0)) is fed element by element."""
        if isinstance(a, (tuple, list)):
            return type(a)(feed(f"{name}.{i}", v) for i, v in enumerate(a))
        if isinstance(a, Tensor):
            io_nodes.append(_node_def("input/" + name, "IO Node", shape=tuple(a.shape)))
            if a.is_floating_point() or a.is_complex():  # integer inputs cannot require grad
                a = a.detach().requires_grad_(True).clone()
                input_nodes[id(a.grad_fn)] = (a.grad_fn, "input/" + name)
        return a

    with enable_grad():
        fed = [feed(name, a) for name, a in zip(_input_names(model, len(args)), args)]
        handles = []
        if isinstance(model, Module):
            for module in model.modules():
                handles.append(module.register_forward_pre_hook(recorder.pre_hook, with_kwargs=True))
                handles.append(module.register_forward_hook(recorder.hook, with_kwargs=True))
        else:
            recorder.frames.append((recorder.root, set(input_nodes), 0))
        try:
            output = model(*fed)
        finally:
            for h in handles:
                h.remove()
        if not isinstance(model, Module):
            recorder.claim(*recorder.frames.pop(), output)
    return recorder, input_nodes, io_nodes, output


def _has_container(value):
    """Whether a list or dict is in the (nested) output: torch's strict trace refuses them."""
    if isinstance(value, (list, dict)):
        return True
    return isinstance(value, tuple) and any(_has_container(v) for v in value)


def _param_names(model):
    if not isinstance(model, Module):
        return {}
    return {id(p): name for name, p in model.named_parameters()}


def graph(model, args, verbose=False, use_strict_trace=True):
    """(GraphDef, RunMetadata) of one forward pass of `model` on `args` (a tensor or a tuple of
    arguments), as SummaryWriter.add_graph logs them. use_strict_trace is accepted for torch's
    signature (there is no trace to be strict about)."""
    if args is None:
        raise RuntimeError("add_graph needs an example input: add_graph(model, input_to_model)")
    if isinstance(args, (Tensor, dict)):
        args = (args,)
    elif not isinstance(args, tuple):
        args = tuple(args)  # a list of arguments, as torch.jit.trace takes it
    was_training = getattr(model, "training", None)
    if isinstance(model, Module):
        model.train(False)
    try:
        recorder, input_nodes, node_defs, output = _run(model, args)
    except RuntimeError as e:
        print(e)
        print("Error occurs, No graph saved")
        raise
    finally:
        if isinstance(model, Module):
            model.train(was_training)

    if use_strict_trace and _has_container(output):
        raise RuntimeError(
            "Encountering a list or dict at the output of the tracer might cause the trace to be incorrect "
            "(torch.jit.trace refuses it): pass use_strict_trace=False to allow this behavior."
        )
    params = _param_names(model)
    name_of = {node_id: name for node_id, (_, name) in input_nodes.items()}
    counter = [0]

    def visit(node):
        """Post-order: a node's inputs get their NodeDefs before it does."""
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            key = _key(current)
            if key in name_of and not expanded:
                continue
            if isinstance(current, AccumulateGrad):
                variable = current.variable
                pname = params.get(id(variable))
                if pname is None:  # a tensor that requires grad but is no parameter of the model
                    scope, leaf = recorder.root, f"tensor.{counter[0]}"
                else:
                    owner, _, leaf = pname.rpartition(".")
                    scope = recorder.root + "".join(
                        "/" + recorder.names[id(m)] for m in _owners(model, owner)
                    )
                name_of[key] = f"{scope}/{leaf}/{leaf}"
                counter[0] += 1
                node_defs.append(
                    _node_def(
                        name_of[key],
                        "prim::GetAttr",
                        shape=tuple(variable.shape),
                        attr=f"{{ name :  {leaf} }}",
                    )
                )
                continue
            if not expanded:
                stack.append((current, True))
                stack.extend((p, False) for p in reversed(_parents(current)) if _key(p) not in name_of)
                continue
            if key in name_of:
                continue
            op = _op_name(current)
            scope = recorder.scope_of.get(key, recorder.root)
            name_of[key] = f"{scope}/{op.split('::')[-1]}.{counter[0]}"
            counter[0] += 1
            inputs = [name_of[_key(p)] for p in _parents(current) if _key(p) in name_of]
            node_defs.append(_node_def(name_of[key], op, inputs, recorder.shape_of.get(key), "{}"))

    for i, t in enumerate(_tensors(output)):
        inputs = []
        if t.grad_fn is not None:
            visit(t.grad_fn)
            inputs = [name_of[id(t.grad_fn)]]
        node_defs.append(_node_def(f"output/output.{i + 1}", "IO Node", inputs, tuple(t.shape)))
    graph_def = GraphDef(node=node_defs, versions=VersionDef(producer=22))
    if verbose:
        print(graph_def)
    # torch records the run as on the CPU whatever device ran it; so does this
    stepstats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return graph_def, stepstats


def _owners(model, path):
    """The modules along a dotted submodule path ('seq.1' -> [model.seq, model.seq[1]])."""
    owners, module = [], model
    for part in path.split(".") if path else []:
        module = module.get_submodule(part)
        owners.append(module)
    return owners


def onnx_graph(path):
    """The GraphDef of an ONNX model file (SummaryWriter.add_onnx_graph): its inputs and outputs as
    `Variable` nodes with their shapes, then each ONNX node named by its first output. Needs the onnx
    package, as torch's does."""
    import onnx  # optional dependency: only add_onnx_graph needs it

    graph_proto = onnx.load(path).graph
    nodes = []
    for value in list(graph_proto.input) + list(graph_proto.output):
        tensor_type = value.type.tensor_type
        dims = TensorShapeProto(dim=[TensorShapeProto.Dim(size=d.dim_value) for d in tensor_type.shape.dim])
        attrs = {"dtype": AttrValue(type=tensor_type.elem_type), "shape": AttrValue(shape=dims)}
        nodes.append(NodeDef(name=value.name, op="Variable", input=[], attr=attrs))
    for node in graph_proto.node:
        parameters = ", ".join(" = ".join(str(f[1]) for f in a.ListFields()) for a in node.attribute)
        attrs = {"parameters": AttrValue(s=parameters.encode("utf-8"))}
        nodes.append(NodeDef(name=node.output[0], op=node.op_type, input=node.input, attr=attrs))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
