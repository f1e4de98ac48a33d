// cpu_output_pool.cpp: the pool of large output blocks (see output_pool.h for why).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <new>

#include "output_pool.h"
#include "pyneuro/common.h"
#include "registry.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace pyneuro::bind {

namespace {

constexpr std::size_t kPoolMaxBytes = std::size_t(1) << 30;

struct Block {
  void* data;
  std::size_t bytes;
};

class Pool {
 public:
  // A kept block of at least `bytes` and at most 1/4 more (the smallest such), else null.
  void* take(std::size_t bytes, std::size_t* got) {
    std::lock_guard<std::mutex> lock(mu_);
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->bytes >= bytes && it->bytes - bytes <= bytes / 4 &&
          (best == free_.end() || it->bytes < best->bytes))
        best = it;
    }
    if (best == free_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    void* data = best->data;
    *got = best->bytes;
    held_ -= best->bytes;
    free_.erase(best);
    return data;
  }

  // Keeps a block whose array died, freeing the oldest kept ones to stay under the limit.
  void give(void* data, std::size_t bytes) {
    std::list<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (bytes > limit()) {
        evicted.push_back({data, bytes});
      } else {
        free_.push_back({data, bytes});
        held_ += bytes;
        while (held_ > limit()) {
          evicted.push_back(free_.front());
          held_ -= free_.front().bytes;
          free_.pop_front();
        }
      }
    }
    for (const Block& b : evicted) aligned_free(b.data);
  }

  void clear() {
    std::list<Block> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all.swap(free_);
      held_ = 0;
    }
    for (const Block& b : all) aligned_free(b.data);
  }

  py::dict stats() {
    std::lock_guard<std::mutex> lock(mu_);
    py::dict d;
    d["enabled"] = output_pool_enabled();
    d["blocks"] = free_.size();
    d["bytes"] = held_;
    d["hits"] = hits_;
    d["misses"] = misses_;
    d["min_bytes"] = kPoolMinBytes;
    d["max_bytes"] = limit();
    return d;
  }

 private:
  static std::size_t limit() {
    static const std::size_t cap = [] {
      std::size_t c = kPoolMaxBytes;
#if defined(__linux__) && defined(_SC_PHYS_PAGES)
      const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
      if (pages > 0 && page > 0) c = std::min(c, std::size_t(pages) * std::size_t(page) / 8);
#endif
      return c;
    }();
    return cap;
  }

  std::mutex mu_;
  std::list<Block> free_;  // oldest first
  std::size_t held_ = 0, hits_ = 0, misses_ = 0;
};

// The name of a block's capsule, the .base of every pooled array. The module exports it
// (OUTPUT_BLOCK_CAPSULE): the autograd engine keeps such an array as an owner, not a view.
constexpr const char* kBlockCapsuleName = "pyneuro.output_block";

// Never destroyed: capsules of arrays that outlive the module at interpreter exit still give
// their blocks back to it.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

void give_back(PyObject* capsule) {
  Block* b = static_cast<Block*>(PyCapsule_GetPointer(capsule, kBlockCapsuleName));
  if (!b) {
    PyErr_Clear();
    return;
  }
  pool().give(b->data, b->bytes);
  delete b;
}

}  // namespace

bool output_pool_enabled() {
  static const bool on = [] {
    const char* s = std::getenv("PYNEURO_OUTPUT_POOL");
    return !(s && std::strcmp(s, "0") == 0);
  }();
  return on;
}

py::capsule pooled_block(std::size_t bytes, void** data) {
  std::size_t got = bytes;
  void* p = pool().take(bytes, &got);
  if (!p) {
    p = aligned_malloc(bytes);
    if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // 2 MiB pages where the OS allows them (as NumPy asks for its large arrays): 512 times
    // fewer faults on first touch. madvise wants whole pages: the block's inner ones.
    const std::uintptr_t page = 4096, lo = (std::uintptr_t(p) + page - 1) / page * page;
    const std::uintptr_t hi = (std::uintptr_t(p) + bytes) / page * page;
    if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#endif
  }
  *data = p;
  auto* block = new Block{p, got};
  PyObject* cap = PyCapsule_New(block, kBlockCapsuleName, &give_back);
  if (!cap) {
    delete block;
    pool().give(p, got);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(cap);
}

void register_output_pool(py::module_& m) {
  m.attr("OUTPUT_BLOCK_CAPSULE") = kBlockCapsuleName;
  m.def(
      "output_pool",
      [](bool clear) {
        if (clear) pool().clear();
        return pool().stats();
      },
      py::arg("clear") = false,
      "Statistics of the pool of large (>= 32 MiB) output blocks; clear=True first frees every kept block.");
}

}  // namespace pyneuro::bind
