// sorting.cpp: argsort, topk, kthvalue and mode along the last dim, with torch's indices on
// ties (declared in pyneuro/sorting.h).
//
// What it computes. Which index comes back among equal values is not a property of "sorting"
// but of the algorithm that sorted: torch.tensor([5, 5, 5, 5, 5]).topk(1) gives index 2, not
// 0, and an unstable sort of [3, 1, 3, 1, 3, ...] gives [1, 3, 18, 6, 16, ...]. A program that
// gathers with those indices (or prints them, or compares them with torch's) sees the
// difference on any data with repeats: integer labels, zeros from a ReLU, quantised weights.
// torch's CPU kernels run the C++ standard library's algorithms on (value, index) pairs, and
// so do these, with the same comparisons in the same order, so they leave the same
// permutation as long as both use the same standard library: on Linux both are GCC builds on
// libstdc++, whose introsort, heap select and introselect have not changed in years (torch on
// macOS uses libc++ and on Windows MSVC's library, as a pyneuro built there does). The
// checks against torch ran on Linux (tests/test_tie_order.py). torch's special cases (an
// expanded dim, the stable radix sort of long 1-D integer tensors) are in pyneuro/_sorting.py.
// Per op:
//   sort      std::sort (stable: std::stable_sort) of the pairs; ascending orders by
//             "a < b, or b is NaN and a is not", descending by "a > b, or a is NaN and b not".
//   topk      k * 64 <= n: std::partial_sort of the first k; else std::nth_element at k - 1,
//             then (sorted=True) std::sort of the first k - 1: the k-th stays where
//             nth_element put it. Same NaN-is-largest comparisons as sort.
//   kthvalue  Sedgewick's quickselect (median of three, Hoare partition), the one torch
//             inherited from Lua Torch, on a copy of the row and its positions.
//   mode      std::sort of the pairs by value alone (plain <), then the longest run of equal
//             values, the first such run on a tie of lengths; its LAST pair gives the index.
//             NaN != NaN, so each NaN is a run of one.
//
// What it costs. Per row of n: sort ~n log2 n comparisons of 8-byte packed keys or 16-byte
// pairs (see Packed below; a 1e6-row of randn floats ~70 ms on one core, NumPy's argsort of the
// same ~80 ms (stable) or ~15 ms (its SIMD quicksort, whose tie order is not torch's, which
// pyneuro/_sorting.py uses for rows without ties)); topk with small k ~n log2 k, else ~2n;
// kthvalue ~2-3n; mode like sort. Plus a pass to build the pairs and one to write the
// indices. Rows are independent: a batch of rows is split over the threads (each with its
// own scratch row), which changes no result. The comparisons must see denormals as they are,
// so these loops run without parallel_for's flush-to-zero scope (it sets denormals-are-zero,
// which would make 1e-40 equal to 0 here and reorder ties torch does not see).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "pyneuro/sorting.h"
#include "pyneuro/team.h"

namespace pyneuro::cpu {

namespace {

// Work (comparisons, estimated) below which the rows stay on the calling thread: 2^20
// comparisons take ~3-5 ms on one core (they mispredict often), waking a worker tens of
// microseconds. A 128x1000 sort (~1.3M) goes parallel; its topk(5) (~130K) does not.
constexpr index_t kParallelSortWork = index_t(1) << 20;

// ~n log2 n: the comparisons of sorting a row of n.
inline index_t sort_work(index_t n) {
  index_t lg = 1;
  while ((index_t(1) << lg) < n) ++lg;
  return n * lg;
}

template <class T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// Two layouts of the (value, position) elements the algorithms permute. Only the comparison
// outcomes steer std::sort and friends, so any layout whose order agrees with torch's
// comparisons leaves the same permutation.
//   Pairs:  std::pair<T, int64>, compared as torch writes it: ascending "a < b, or b is NaN
//           and a is not", descending "a > b, or a is NaN and b is not".
//   Packed: for values of 4 bytes or less, and int64 values within int32's range (rows
//           shorter than 2^32), one uint64: an order-preserving 32-bit key of the value
//           above the 32-bit position, compared by the key alone. Half the bytes to move and
//           integer compares: a 1e6-row of small ints sorts in 20 ms instead of 34.
template <class T>
struct Pairs {
  using Elem = std::pair<T, std::int64_t>;
  static Elem make(T v, index_t j) { return {v, j}; }
  static std::int64_t position(const Elem& e) { return e.second; }
  struct Below {
    bool operator()(const Elem& a, const Elem& b) const {
      return (!is_nan(a.first) && is_nan(b.first)) || a.first < b.first;
    }
  };
  struct Above {
    bool operator()(const Elem& a, const Elem& b) const {
      return (is_nan(a.first) && !is_nan(b.first)) || a.first > b.first;
    }
  };
};

// The key: unsigned order = torch's order. Integers flip their sign bit. A float's bits flip
// all bits when negative, else the sign bit; 0.0 and -0.0 share one key (they compare equal),
// and every NaN gets the largest key (NaN ranks above +inf, and NaNs are mutually equal).
template <class T>
inline std::uint32_t order_key(T v) {
  if constexpr (std::is_same_v<T, float>) {
    if (std::isnan(v)) return 0xFFFFFFFFu;
    std::uint32_t b = 0;
    if (v != 0.0f) std::memcpy(&b, &v, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  } else if constexpr (std::is_signed_v<T>) {
    return std::uint32_t(std::int32_t(v)) ^ 0x80000000u;
  } else {
    return std::uint32_t(v);
  }
}

template <class T>
struct Packed {
  using Elem = std::uint64_t;
  static Elem make(T v, index_t j) { return (Elem(order_key(v)) << 32) | Elem(j); }
  static std::int64_t position(Elem e) { return std::int64_t(e & 0xFFFFFFFFu); }
  struct Below {
    bool operator()(Elem a, Elem b) const { return (a >> 32) < (b >> 32); }
  };
  struct Above {
    bool operator()(Elem a, Elem b) const { return (a >> 32) > (b >> 32); }
  };
};

// Runs fn(row, scratch) for every row (on several threads when rows x work_per_row reaches
// kParallelSortWork); scratch is a vector<Elem> of n entries owned by the thread. The scratch rows are allocated up front, so an allocation failure raises
// std::bad_alloc on the calling thread (MemoryError in Python), never inside a parallel region.
template <class Elem, class Fn>
void each_row(index_t rows, index_t n, index_t work_per_row, const Fn& fn) {
  const bool parallel = rows > 1 && rows * work_per_row >= kParallelSortWork;
  const int threads = parallel ? int(std::min<index_t>(rows, index_t(num_threads()))) : 1;
  std::vector<std::vector<Elem>> scratch(std::size_t(std::max(threads, 1)),
                                         std::vector<Elem>(std::size_t(n)));
  if (threads <= 1) {
    for (index_t r = 0; r < rows; ++r) fn(r, scratch[0]);
    return;
  }
  // Rows in small dynamic chunks over the team (parallel_chunks); each member sorts in its
  // own scratch row.
  parallel_chunks(rows, threads, 16, [&](index_t r0, index_t r1) {
    std::vector<Elem>& mine = scratch[std::size_t(team_member())];
    for (index_t r = r0; r < r1; ++r) fn(r, mine);
  });
}

// Calls run(L{}) with the Packed layout when the values allow it (4-byte or smaller types, and
// int64 rows whose values all fit in int32: class labels, counts), else with Pairs.
template <class T, class Run>
void with_layout(const T* x, index_t rows, index_t n, const Run& run) {
  bool packed = sizeof(T) <= 4 && n < (index_t(1) << 32);
  if constexpr (std::is_same_v<T, std::int64_t>) {
    const auto [lo, hi] = std::minmax_element(x, x + rows * n);
    packed = n < (index_t(1) << 32) && rows * n > 0 && *lo >= INT32_MIN && *hi <= INT32_MAX;
  }
  if constexpr (sizeof(T) <= 4 || std::is_same_v<T, std::int64_t>) {
    if (packed) return run(Packed<T>{});
  }
  run(Pairs<T>{});
}

template <class L, class T>
void load_row(const T* row, index_t n, std::vector<typename L::Elem>& q) {
  for (index_t j = 0; j < n; ++j) q[std::size_t(j)] = L::make(row[j], j);
}

// Sedgewick's quickselect, in the form torch's kthvalue runs it: the middle element is
// swapped next to lo, lo / lo+1 / hi are put in order (a median of three that also leaves
// sentinels at both ends), and a Hoare partition around q[lo] keeps the side holding k.
// `above` is the NaN-largest "greater than". Torch swaps a value array and a position array
// in step; swapping the elements is the same permutation. Returns the element at k (from 0).
template <class Elem, class Above>
Elem quickselect(Elem* q, index_t n, index_t k, Above above) {
  index_t lo = 0, hi = n - 1;
  while (hi > lo) {
    if (hi == lo + 1) {
      if (above(q[lo], q[hi])) std::swap(q[lo], q[hi]);
      break;
    }
    std::swap(q[(lo + hi) >> 1], q[lo + 1]);
    if (above(q[lo + 1], q[hi])) std::swap(q[lo + 1], q[hi]);
    if (above(q[lo], q[hi])) std::swap(q[lo], q[hi]);
    if (above(q[lo + 1], q[lo])) std::swap(q[lo + 1], q[lo]);
    const Elem pivot = q[lo];
    index_t i = lo + 1, j = hi;
    for (;;) {
      do ++i;
      while (above(pivot, q[i]));
      do --j;
      while (above(q[j], pivot));
      if (j < i) break;
      std::swap(q[i], q[j]);
    }
    std::swap(q[lo], q[j]);
    if (j <= k) lo = i;
    if (j >= k) hi = j - 1;
  }
  return q[k];
}

}  // namespace

template <class T>
void sort_indices(const T* x, index_t rows, index_t n, bool descending, bool stable, std::int64_t* out) {
  with_layout(x, rows, n, [&](auto layout) {
    using L = decltype(layout);
    const auto sort = [stable](auto first, auto last, auto order) {
      stable ? std::stable_sort(first, last, order) : std::sort(first, last, order);
    };
    each_row<typename L::Elem>(rows, n, sort_work(n), [&](index_t r, std::vector<typename L::Elem>& q) {
      load_row<L>(x + r * n, n, q);
      descending ? sort(q.begin(), q.end(), typename L::Above())
                 : sort(q.begin(), q.end(), typename L::Below());
      for (index_t j = 0; j < n; ++j) out[r * n + j] = L::position(q[std::size_t(j)]);
    });
  });
}

template <class T>
void topk_indices(const T* x, index_t rows, index_t n, index_t k, bool largest, bool sorted,
                  std::int64_t* out) {
  if (k <= 0) return;
  with_layout(x, rows, n, [&](auto layout) {
    using L = decltype(layout);
    const auto select = [&](auto first, auto last, auto order) {
      if (k * 64 <= n) {
        std::partial_sort(first, first + k, last, order);
      } else {
        std::nth_element(first, first + (k - 1), last, order);
        if (sorted) std::sort(first, first + (k - 1), order);
      }
    };
    const index_t work = k * 64 <= n ? n + sort_work(k) : 2 * n + (sorted ? sort_work(k) : 0);
    each_row<typename L::Elem>(rows, n, work, [&](index_t r, std::vector<typename L::Elem>& q) {
      load_row<L>(x + r * n, n, q);
      largest ? select(q.begin(), q.end(), typename L::Above())
              : select(q.begin(), q.end(), typename L::Below());
      for (index_t j = 0; j < k; ++j) out[r * k + j] = L::position(q[std::size_t(j)]);
    });
  });
}

template <class T>
void kthvalue_indices(const T* x, index_t rows, index_t n, index_t k, std::int64_t* out) {
  with_layout(x, rows, n, [&](auto layout) {
    using L = decltype(layout);
    each_row<typename L::Elem>(rows, n, 3 * n, [&](index_t r, std::vector<typename L::Elem>& q) {
      load_row<L>(x + r * n, n, q);
      out[r] = L::position(quickselect(q.data(), n, k - 1, typename L::Above()));
    });
  });
}

template <class T>
void mode_indices(const T* x, index_t rows, index_t n, std::int64_t* out) {
  // Pairs always: torch orders them by a plain `<`, under which a NaN is "equal" to every
  // value, an order no key reproduces.
  using L = Pairs<T>;
  each_row<typename L::Elem>(rows, n, sort_work(n), [&](index_t r, std::vector<typename L::Elem>& q) {
    load_row<L>(x + r * n, n, q);
    std::sort(q.begin(), q.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    index_t best = 0, run = 0;
    std::int64_t at = 0;
    for (index_t j = 0; j < n; ++j) {
      ++run;
      if (j == n - 1 || q[std::size_t(j)].first != q[std::size_t(j + 1)].first) {
        if (run > best) {
          best = run;
          at = q[std::size_t(j)].second;
        }
        run = 0;
      }
    }
    out[r] = at;
  });
}

#define PYNEURO_SORTING_TYPES(T)                                                                 \
  template void sort_indices<T>(const T*, index_t, index_t, bool, bool, std::int64_t*);          \
  template void topk_indices<T>(const T*, index_t, index_t, index_t, bool, bool, std::int64_t*); \
  template void kthvalue_indices<T>(const T*, index_t, index_t, index_t, std::int64_t*);         \
  template void mode_indices<T>(const T*, index_t, index_t, std::int64_t*);
PYNEURO_SORTING_TYPES(float)
PYNEURO_SORTING_TYPES(double)
PYNEURO_SORTING_TYPES(std::int64_t)
PYNEURO_SORTING_TYPES(std::int32_t)
PYNEURO_SORTING_TYPES(std::int16_t)
PYNEURO_SORTING_TYPES(std::int8_t)
PYNEURO_SORTING_TYPES(std::uint8_t)
#undef PYNEURO_SORTING_TYPES

}  // namespace pyneuro::cpu
