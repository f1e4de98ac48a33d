"""The Summary protocol buffers SummaryWriter logs, one builder per kind of data.

torch.utils.tensorboard.summary's functions with the same names and arguments: each turns its input
(via `make_np`) into the `tensorboard` package's protos -- a scalar's simple_value or tensor, a
histogram's bucket limits and counts, a PNG-encoded image, a text tensor, the hparams plugin's three
summaries, a PR curve's 6 x num_thresholds table, the custom-scalars layout, a mesh. The writer
(writer.py) wraps them in Events. Image encoding needs Pillow, as torch's does.
"""

import io
import json
import struct
import tempfile
import wave

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2 as hparams_data
from tensorboard.plugins.mesh import metadata as mesh_metadata
from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ...tensor import Tensor
from ._convert import convert_to_HWC, make_np, prepare_video

__all__ = [
    "audio",
    "compute_curve",
    "custom_scalars",
    "draw_boxes",
    "half_to_int",
    "histogram",
    "histogram_raw",
    "hparams",
    "image",
    "image_boxes",
    "int_to_half",
    "make_histogram",
    "make_image",
    "make_video",
    "mesh",
    "pr_curve",
    "pr_curve_raw",
    "scalar",
    "tensor_proto",
    "text",
    "video",
]


def half_to_int(f):
    """The bits of float32 `f` as an int (TensorProto's half_val field), as torch's."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i):
    """half_to_int's inverse."""
    return struct.unpack("f", struct.pack("i", i))[0]


def _plugin_metadata(name, content=b""):
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=name, content=content))


def _shape(dims):
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in dims])


# ---------------------------------------------------------------------------------------- scalars


def scalar(name, tensor, collections=None, new_style=False, double_precision=False):
    """One scalar: old style (simple_value) or, with new_style, a DT_FLOAT (double_precision:
    DT_DOUBLE) tensor tagged for the scalars plugin. More than one element is an AssertionError."""
    tensor = make_np(tensor).squeeze()
    if tensor.ndim != 0:
        raise AssertionError(
            f"Tensor should contain one element (0 dimensions). "
            f"Was given size: {tensor.size} and {tensor.ndim} dimensions."
        )
    value = float(tensor)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=_plugin_metadata("scalars"))])


# dtype name -> (TensorProto dtype, the field the values go in, how they are listed)
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val", "half"),
    "float32": ("DT_FLOAT", "float_val", "flat"),
    "float64": ("DT_DOUBLE", "double_val", "flat"),
    "int8": ("DT_INT8", "int_val", "flat"),
    "uint8": ("DT_UINT8", "uint32_val", "flat"),
    "int16": ("DT_INT16", "int_val", "flat"),
    "int32": ("DT_INT32", "int_val", "flat"),
    "int64": ("DT_INT64", "int64_val", "flat"),
    "bool": ("DT_BOOL", "bool_val", "flat"),
    "complex64": ("DT_COMPLEX64", "scomplex_val", "complex"),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", "complex"),
}


def tensor_proto(tag, tensor):
    """A whole tensor (SummaryWriter.add_tensor), in the TensorProto field its dtype uses."""
    if tensor.numel() * tensor.element_size() >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    flat = make_np(tensor).reshape(-1)
    if flat.dtype.name not in _TENSOR_FIELDS:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, kind = _TENSOR_FIELDS[flat.dtype.name]
    if kind == "half":
        values = [half_to_int(x) for x in flat.tolist()]
    elif kind == "complex":
        values = np.stack([flat.real, flat.imag], axis=-1).reshape(-1).tolist()
    else:
        values = flat.tolist()
    proto = TensorProto(**{"dtype": dtype, "tensor_shape": _shape(tensor.shape), field: values})
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("tensor"), tensor=proto)])


# ------------------------------------------------------------------------------------- histograms


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram given by its statistics and buckets (SummaryWriter.add_histogram_raw)."""
    hist = HistogramProto(
        min=min,
        max=max,
        num=num,
        sum=sum,
        sum_squares=sum_squares,
        bucket_limit=bucket_limits,
        bucket=bucket_counts,
    )
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name, values, bins, max_bins=None):
    """The histogram of `values` over `bins` (edges, a count, or a NumPy bin rule such as 'auto')."""
    values = make_np(values)
    return Summary(
        value=[Summary.Value(tag=name, histo=make_histogram(values.astype(float), bins, max_bins))]
    )


def make_histogram(values, bins, max_bins=None):
    """np.histogram's counts, merged down to at most `max_bins` buckets, trimmed to the span from the
    bucket before the first non-empty one to the last non-empty one (TensorFlow's histogram.cc)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(
                counts, pad_width=[[0, subsampling - remainder]], mode="constant", constant_values=0
            )
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        merged = np.empty((counts.size + 1,), limits.dtype)
        merged[:-1] = limits[:-1:subsampling]
        merged[-1] = limits[-1]
        limits = merged
    # the first and last non-empty buckets: a leading empty bucket (or a zero) is kept before the
    # first, so that the histogram's left edge shows
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


# ----------------------------------------------------------------------------------------- images


def _scale_factor(array):
    """uint8 images are already 0..255; anything else is taken to be 0..1."""
    return 1 if array.dtype == np.uint8 else 255


def image(tag, tensor, rescale=1, dataformats="NCHW"):
    """An image (or a batch tiled into a grid) as PNG: float values scaled by 255, all clipped to
    0..255 and cast to uint8."""
    array = convert_to_HWC(make_np(tensor), dataformats)
    scale = _scale_factor(array)
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(array, rescale=rescale))])


def image_boxes(tag, tensor_image, tensor_boxes, rescale=1, dataformats="CHW", labels=None):
    """An image with boxes (x1, y1, x2, y2 in pixels) drawn on it in red, optionally labelled."""
    array = convert_to_HWC(make_np(tensor_image), dataformats)
    boxes = make_np(tensor_boxes)
    array = array.astype(np.float32) * _scale_factor(array)
    encoded = make_image(array.clip(0, 255).astype(np.uint8), rescale=rescale, rois=boxes, labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def _draw_single_box(
    image, xmin, ymin, xmax, ymax, display_str, color="black", color_text="black", thickness=2
):
    from PIL import ImageDraw, ImageFont  # optional dependency, as in torch

    font = ImageFont.load_default()
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = xmin, xmax, ymin, ymax
    draw.line(
        [(left, top), (left, bottom), (right, bottom), (right, top), (left, top)], width=thickness, fill=color
    )
    if display_str:
        x0, y0, x1, y1 = font.getbbox(display_str)
        text_width, text_height = x1 - x0, y1 - y0
        margin = np.ceil(0.05 * text_height)
        draw.rectangle([(left, bottom - text_height - 2 * margin), (left + text_width, bottom)], fill=color)
        draw.text((left + margin, bottom - text_height - margin), display_str, fill=color_text, font=font)
    return image


def draw_boxes(disp_image, boxes, labels=None):
    """Draw each x1, y1, x2, y2 row of `boxes` on the PIL image in red."""
    for i in range(boxes.shape[0]):
        x1, y1, x2, y2 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        label = None if labels is None else labels[i]
        disp_image = _draw_single_box(disp_image, x1, y1, x2, y2, display_str=label, color="Red")
    return disp_image


def make_image(array, rescale=1, rois=None, labels=None):
    """A Summary.Image of an H x W x C uint8 array: resized by `rescale` (Lanczos) and PNG-encoded;
    its height/width are the array's, before the resize, as torch records them."""
    from PIL import Image  # optional dependency, as in torch

    height, width, channel = array.shape
    picture = Image.fromarray(array)
    if rois is not None:
        picture = draw_boxes(picture, rois, labels=labels)
    picture = picture.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    with io.BytesIO() as output:
        picture.save(output, format="PNG")
        encoded = output.getvalue()
    return Summary.Image(height=height, width=width, colorspace=channel, encoded_image_string=encoded)


def video(tag, tensor, fps=4):
    """A B x T x C x H x W video as an animated GIF (needs moviepy, as torch's)."""
    array = prepare_video(make_np(tensor))
    scale = _scale_factor(array)
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_video(array, fps))])


def make_video(array, fps):
    """GIF-encode T x H x W x C frames with moviepy; without it, say so and return None (as torch)."""
    try:
        from moviepy import editor as mpy  # optional dependency
    except ImportError:
        print("add_video needs package moviepy")
        return None
    _, h, w, c = array.shape
    clip = mpy.ImageSequenceClip(list(array), fps=fps)
    with tempfile.NamedTemporaryFile(suffix=".gif") as f:
        try:
            clip.write_gif(f.name, verbose=False, logger=None)
        except TypeError:
            clip.write_gif(f.name, verbose=False)
        f.seek(0)
        return Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=f.read())


def audio(tag, tensor, sample_rate=44100):
    """A mono clip with samples in [-1, 1] (clipped, with a warning, outside) as 16-bit WAV."""
    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    with io.BytesIO() as fio:
        with wave.open(fio, "wb") as wave_write:
            wave_write.setnchannels(1)
            wave_write.setsampwidth(2)
            wave_write.setframerate(sample_rate)
            wave_write.writeframes(array.data)
        encoded = fio.getvalue()
    clip = Summary.Audio(
        sample_rate=sample_rate,
        num_channels=1,
        length_frames=array.shape[-1],
        encoded_audio_string=encoded,
        content_type="audio/wav",
    )
    return Summary(value=[Summary.Value(tag=tag, audio=clip)])


# ------------------------------------------------------------------------------- text and hparams


def text(tag, text):
    """A string for the text plugin, under `<tag>/text_summary` (Markdown is rendered there)."""
    metadata = _plugin_metadata("text", TextPluginData(version=0).SerializeToString())
    proto = TensorProto(
        dtype="DT_STRING", string_val=[text.encode(encoding="utf_8")], tensor_shape=_shape([1])
    )
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata, tensor=proto)])


def _hparams_summary(tag, **content):
    data = hparams_data.HParamsPluginData(version=hparams_metadata.PLUGIN_DATA_VERSION, **content)
    metadata = _plugin_metadata(hparams_metadata.PLUGIN_NAME, data.SerializeToString())
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])


def _domain(values, field):
    return struct_pb2.ListValue(values=[struct_pb2.Value(**{field: v}) for v in values])


def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The hparams plugin's Experiment, SessionStartInfo and SessionEndInfo summaries.

    Numbers (bools too: they are ints, as torch checks them) are float64 hparams, strings strings,
    one-element tensors numbers; None values are left out; anything else is a ValueError."""
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in hparam_domain_discrete.items():
        if (
            k not in hparam_dict
            or not isinstance(v, list)
            or not all(isinstance(d, type(hparam_dict[k])) for d in v)
        ):
            raise TypeError(
                f"parameter: hparam_domain_discrete[{k}] should be a list of same type as hparam_dict[{k}]."
            )
    infos = []
    ssi = hparams_data.SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            ssi.hparams[k].number_value = make_np(v)[0]
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value("DATA_TYPE_FLOAT64")))
            continue
        if isinstance(v, (int, float)):
            field, data_type = "number_value", "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            field, data_type = "string_value", "DATA_TYPE_STRING"
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        setattr(ssi.hparams[k], field, v)
        domain = _domain(hparam_domain_discrete[k], field) if k in hparam_domain_discrete else None
        infos.append(
            api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value(data_type), domain_discrete=domain)
        )

    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
    exp = _hparams_summary(
        hparams_metadata.EXPERIMENT_TAG,
        experiment=api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics),
    )
    start = _hparams_summary(hparams_metadata.SESSION_START_INFO_TAG, session_start_info=ssi)
    end_info = hparams_data.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    end = _hparams_summary(hparams_metadata.SESSION_END_INFO_TAG, session_end_info=end_info)
    return exp, start, end


# ------------------------------------------------------------------ PR curves and custom scalars


def _pr_summary(tag, data, num_thresholds):
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    proto = TensorProto(
        dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(), tensor_shape=_shape(data.shape[:2])
    )
    return Summary(
        value=[Summary.Value(tag=tag, metadata=_plugin_metadata("pr_curves", content), tensor=proto)]
    )


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A PR curve from its counts and rates (num_thresholds is capped at 127, as torch's)."""
    return _pr_summary(tag, np.stack((tp, fp, tn, fn, precision, recall)), min(num_thresholds, 127))


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """The PR curve of `predictions` in [0, 1] against 0/1 `labels`."""
    num_thresholds = min(num_thresholds, 127)
    return _pr_summary(tag, compute_curve(labels, predictions, num_thresholds, weights), num_thresholds)


def compute_curve(labels, predictions, num_thresholds=None, weights=None):
    """TP, FP, TN, FN, precision and recall at each of `num_thresholds` evenly spaced thresholds."""
    minimum_count = 1e-7
    if weights is None:
        weights = 1.0
    bucket_indices = np.int32(np.floor(predictions * (num_thresholds - 1)))
    float_labels = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=span, weights=float_labels * weights
    )
    fp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=span, weights=(1.0 - float_labels) * weights
    )
    tp = np.cumsum(tp_buckets[::-1])[::-1]  # predictions at or above each threshold
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(minimum_count, tp + fp)
    recall = tp / np.maximum(minimum_count, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def custom_scalars(layout):
    """The custom-scalars plugin's layout: {category: {chart title: ['Multiline', tags] or
    ['Margin', [value, lower, upper]]}}."""
    categories = []
    for category, charts_of in layout.items():
        charts = []
        for title, chart_metadata in charts_of.items():
            kind, tags = chart_metadata[0], chart_metadata[1]
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                chart = layout_pb2.Chart(title=title, margin=layout_pb2.MarginChartContent(series=[series]))
            else:
                chart = layout_pb2.Chart(title=title, multiline=layout_pb2.MultilineChartContent(tag=tags))
            charts.append(chart)
        categories.append(layout_pb2.Category(title=category, chart=charts))
    serialized = layout_pb2.Layout(category=categories).SerializeToString()
    proto = TensorProto(dtype="DT_STRING", string_val=[serialized], tensor_shape=TensorShapeProto())
    value = Summary.Value(
        tag="custom_scalars__config__", tensor=proto, metadata=_plugin_metadata("custom_scalars")
    )
    return Summary(value=[value])


# ------------------------------------------------------------------------------------------ meshes


def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """A 3-D point cloud or mesh: vertices (B x N x 3), optional faces (B x F x 3 vertex indices) and
    colors (B x N x 3), one tensor summary each, for the mesh plugin."""
    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(vertices, MeshPluginData.VERTEX), (faces, MeshPluginData.FACE), (colors, MeshPluginData.COLOR)]
    parts = [(t, kind) for t, kind in parts if t is not None]
    components = mesh_metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for t, kind in parts:
        array = make_np(t) if isinstance(t, Tensor) else np.asarray(t)
        meta = mesh_metadata.create_summary_metadata(
            tag, display_name, kind, components, array.shape, description, json_config=json_config
        )
        proto = TensorProto(
            dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(), tensor_shape=_shape(array.shape)
        )
        values.append(
            Summary.Value(tag=mesh_metadata.get_instance_name(tag, kind), tensor=proto, metadata=meta)
        )
    return Summary(value=values)
