"""Embedding: a lookup table of rows."""

from __future__ import annotations

from ... import functional as F
from ..._tensor_base import _device
from ...autograd import no_grad
from ...creation import empty
from ...tensor import Tensor
from .. import init
from .module import Module, Parameter


class Embedding(Module):
    """A lookup table: row i of weight (num_embeddings, embedding_dim) for index i; N(0, 1) init."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
        _weight=None,
        generator=None,
    ):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        dev = _device(device)
        if _weight is not None:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight)
        else:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype, device=dev))
            init.normal_(self.weight, generator=generator)
            if padding_idx is not None:
                with no_grad():
                    self.weight[padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None):
        rows, cols = embeddings.shape
        m = cls(rows, cols, padding_idx=padding_idx, _weight=embeddings.detach().clone())
        m.weight.requires_grad = not freeze
        return m

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
