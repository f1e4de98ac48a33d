// gather.cpp: out[i] = a[index[i]] for whole rows, the batch gather of a data loader
// (declared in pyneuro/elementwise.h).
//
// What it computes. `a` is any C-contiguous array seen as rows of row_bytes bytes (a
// dataset of images: 60000 rows of 784 floats); out gets the rows named by `index`, in
// that order. Plain byte copies: any dtype, no arithmetic, bit-exact.
//
// What it costs. 128 rows of 3,136 bytes are 401 KB, which the core copies at ~20 GB/s
// once they stream, about 20 us. Measured, one thread takes ~75 us (np.take, or a loop of
// memcpy: Intel Xeon, 2 cores, a 188 MB Fashion-MNIST array). The rows are scattered over
// the whole array, so every row starts with a cache and TLB miss to DRAM (~0.3-0.5 us in
// this VM) before the hardware prefetcher takes over for the rest of the row: the copy is
// bound by memory latency, not bandwidth. A core keeps only so many misses in flight; two
// cores keep twice as many. So the rows are split over the threads even though the
// bytes are few (two threads: ~35 us), which is why the work passed to parallel_for counts
// kCostGatherByte per byte, far above an elementwise op's cost: the gather goes parallel
// from ~64 KiB of output.
//
// The index is checked (and negative entries wrapped, as in NumPy and PyTorch) by the
// caller before any byte moves; here every entry is in [0, rows).
#include <cstring>

#include "pyneuro/elementwise.h"

namespace pyneuro::cpu {

namespace {
constexpr index_t kCostGatherByte = 128;  // 8M work (kParallelMinWork) = 64 KiB of rows
}

void take_rows(const void* a, index_t row_bytes, const std::int64_t* index, index_t count, void* out) {
  if (count <= 0 || row_bytes <= 0) return;
  const auto* src = static_cast<const unsigned char*>(a);
  auto* dst = static_cast<unsigned char*>(out);
  parallel_for(count, count * row_bytes * kCostGatherByte, [&](index_t begin, index_t end) {
    for (index_t i = begin; i < end; ++i)
      std::memcpy(dst + i * row_bytes, src + index_t(index[i]) * row_bytes, std::size_t(row_bytes));
  });
}

}  // namespace pyneuro::cpu
