"""What SummaryWriter's inputs become before they are logged: NumPy arrays.

torch.utils.tensorboard's `_convert_np` and `_utils` in one place. Every add_* call first turns its
value (a pyneuro tensor, a NumPy array or a Python number) into a NumPy array with `make_np`; the image
calls then lay the array out as height x width x 3 (`convert_to_HWC`, which tiles a batch into one
grid image with `make_grid`), and add_figure renders a matplotlib figure to a C x H x W uint8 array.
The layouts and the grid follow torch's exactly, so that the same call logs the same pixels.
"""

import numpy as np

from ...tensor import Tensor


def make_np(x):
    """A NumPy array holding `x`: an array as it is, a scalar as a one-element array, a tensor's values
    (detached, on the CPU). Anything else raises NotImplementedError, as torch's does."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def figure_to_image(figures, close=True):
    """Render a matplotlib figure to a C x H x W uint8 RGB array (a list of figures: N x C x H x W),
    closing each figure afterwards unless close=False. Needs matplotlib."""
    import matplotlib.backends.backend_agg as backend_agg  # optional dependency: only add_figure needs it
    import matplotlib.pyplot as plt

    def render(figure):
        canvas = backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        data = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = figure.canvas.get_width_height()
        chw = np.moveaxis(data.reshape([h, w, 4])[:, :, 0:3], source=2, destination=0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(figure) for figure in figures])
    return render(figures)


def make_grid(images, ncols=8):
    """Tile N images (N x 1 x H x W or N x 3 x H x W) into one 3 x H' x W' canvas, `ncols` to a row,
    the last row padded with zeros."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = int(np.ceil(float(n) / ncols))
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h : (y + 1) * h, x * w : (x + 1) * w] = images[i]
    return canvas


def convert_to_HWC(array, input_format):
    """Lay `array` out as H x W x 3 according to `input_format` (a permutation of NCHW, CHW, HWC, HW...):
    a batch becomes a grid, one channel or none becomes three equal ones."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError(
            f"You can not use the same dimension shorthand twice. input_format: {input_format}"
        )
    if len(array.shape) != len(input_format):
        raise AssertionError(
            f"size of input tensor and input format are different. "
            f"tensor shape: {array.shape}, input_format: {input_format}"
        )
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = array.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = array.transpose([input_format.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    if len(input_format) == 2:
        hw = array.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    return None  # torch's falls through the same way (and its caller then fails)


def prepare_video(video):
    """B x T x C x H x W -> T x H' x W' x C: each frame's batch tiled into a grid whose row count is a
    power of two (the batch padded with black clips up to a power of two first), values in [0, 1]."""
    b, t, c, h, w = video.shape
    if video.dtype == np.uint8:
        video = np.float32(video) / 255.0
    if b & (b - 1) != 0 or b == 0:
        extra = int(2 ** b.bit_length() - b)
        video = np.concatenate((video, np.zeros(shape=(extra, t, c, h, w))), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = video.shape[0] // n_rows
    video = np.reshape(video, (n_rows, n_cols, t, c, h, w))
    video = np.transpose(video, axes=(2, 0, 4, 1, 5, 3))
    return np.reshape(video, (t, n_rows * h, n_cols * w, c))
