// allocator.cu: a small caching allocator over cudaMalloc.
//
// cudaMalloc and cudaFree are slow (tens of microseconds, and cudaFree synchronises the
// device), while a training loop allocates the same few shapes every step. Blocks are
// therefore rounded up to a size class and, when freed, kept on a free list for that
// class; the next request of the class reuses one. Sizes round up to 512 bytes below
// 1 MiB and to 2 MiB above, bounding the waste. All kernels run on the legacy default
// stream, so reusing a block after free is ordered after every kernel that used it.
#include <algorithm>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "launch.h"

namespace pyneuro::cuda {
namespace {

struct Pool {
  std::mutex mu;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // size class -> blocks
  AllocatorStats stats{};
};

// Deliberately leaked: freeing device memory during interpreter shutdown, after the CUDA
// runtime may already have been torn down, would only produce errors.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

// After every change of the counters: the peaks torch.cuda.max_memory_allocated/_reserved report.
void note_peaks(AllocatorStats& s) {
  s.peak_bytes_in_use = std::max(s.peak_bytes_in_use, s.bytes_in_use);
  s.peak_bytes_reserved = std::max(s.peak_bytes_reserved, s.bytes_in_use + s.bytes_cached);
}

std::size_t size_class(std::size_t bytes) {
  constexpr std::size_t kSmall = 512, kLarge = 2u << 20, kSplit = 1u << 20;
  const std::size_t unit = bytes < kSplit ? kSmall : kLarge;
  return (bytes + unit - 1) / unit * unit;
}

}  // namespace

void* device_malloc(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t cls = size_class(bytes);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free_blocks.find(cls);
    if (it != p.free_blocks.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      p.stats.cache_hits++;
      p.stats.blocks_cached--;
      p.stats.bytes_cached -= cls;
      p.stats.blocks_in_use++;
      p.stats.bytes_in_use += cls;
      note_peaks(p.stats);
      return ptr;
    }
  }
  void* ptr = nullptr;
  cudaError_t err = cudaMalloc(&ptr, cls);
  if (err == cudaErrorMemoryAllocation) {  // out of memory: give the cache back and retry once
    cudaGetLastError();
    empty_cache();
    err = cudaMalloc(&ptr, cls);
  }
  check(err, ("cudaMalloc of " + std::to_string(cls) + " bytes").c_str());
  std::lock_guard<std::mutex> lock(p.mu);
  p.stats.cuda_malloc_calls++;
  p.stats.blocks_in_use++;
  p.stats.bytes_in_use += cls;
  note_peaks(p.stats);
  return ptr;
}

void device_free(void* ptr, std::size_t bytes) noexcept {
  if (ptr == nullptr) return;
  const std::size_t cls = size_class(bytes);
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  try {
    p.free_blocks[cls].push_back(ptr);
  } catch (const std::bad_alloc&) {
    cudaFree(ptr);  // host out of memory: return the block to CUDA instead
    p.stats.blocks_in_use--;
    p.stats.bytes_in_use -= cls;
    return;
  }
  p.stats.blocks_in_use--;
  p.stats.bytes_in_use -= cls;
  p.stats.blocks_cached++;
  p.stats.bytes_cached += cls;
}

void reset_peak_stats() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.stats.peak_bytes_in_use = p.stats.bytes_in_use;
  p.stats.peak_bytes_reserved = p.stats.bytes_in_use + p.stats.bytes_cached;
}

AllocatorStats allocator_stats() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return p.stats;
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (auto& [cls, blocks] : p.free_blocks) {
    for (void* ptr : blocks) cudaFree(ptr);
    p.stats.blocks_cached -= blocks.size();
    p.stats.bytes_cached -= cls * blocks.size();
    blocks.clear();
  }
  cudaGetLastError();
}

}  // namespace pyneuro::cuda
