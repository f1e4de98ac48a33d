// pyneuro/sorting.h: the ordering kernels (sorting.cpp) behind Tensor.sort, argsort, topk,
// kthvalue and mode, written so that the INDICES they return on ties and NaN are torch's.
//
// Every function works on `rows` independent rows of `n` contiguous values (the caller moves
// the sorted dim last) and writes int64 positions within the row. A NaN orders above every
// number (last ascending, first descending), as in torch. T is one of float, double, int64,
// int32, int16, int8, uint8 (bool arrays are passed as uint8: same order).
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

// argsort of each row: torch.sort(stable=False) uses an unstable introsort (std::sort), so
// equal values come back in the order that sort leaves them; stable=true keeps their order.
// out: rows x n.                                   ~n log2 n comparisons per row
template <class T>
void sort_indices(const T* x, index_t rows, index_t n, bool descending, bool stable, std::int64_t* out);

// torch.topk: positions of the k largest (smallest) values of each row, in torch's order.
// out: rows x k.                 k*64 <= n: ~n log2 k comparisons, else ~n + k log2 k
template <class T>
void topk_indices(const T* x, index_t rows, index_t n, index_t k, bool largest, bool sorted,
                  std::int64_t* out);

// torch.kthvalue: position of the k-th smallest value (k counts from 1). out: rows.   ~2n
template <class T>
void kthvalue_indices(const T* x, index_t rows, index_t n, index_t k, std::int64_t* out);

// torch.mode: position torch reports for the most frequent value (smallest on a tie of
// counts; each NaN counts once). out: rows.                       ~n log2 n comparisons
template <class T>
void mode_indices(const T* x, index_t rows, index_t n, std::int64_t* out);

}  // namespace pyneuro::cpu
