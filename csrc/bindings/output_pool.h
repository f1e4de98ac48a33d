// output_pool.h: the arrays the CPU kernels return, and why the large ones are recycled.
//
// A kernel's output is a fresh NumPy array. Below 32 MiB that costs nothing to speak of:
// NumPy takes it from malloc, which reuses the heap memory of the arrays freed a moment
// before (a training step's activations and gradients land in the same pages step after
// step). From 32 MiB up (glibc's largest mmap threshold) malloc maps new pages from the
// OS and unmaps them when the array dies, so every call gets memory the OS has never
// handed out: the first write to each page faults and the OS zeroes it before the kernel's
// own write. For the 205 MB output of a 1024 x 50000 softmax that was about half the time
// of the call (Intel Xeon, 2 cores: ~20 of ~40 ms).
//
// So outputs of 32 MiB and more come from a small pool: when such an array (and every view
// of it) is gone, its block is kept, already faulted in, and the next output of about the
// same size (the block at most 1/4 larger) reuses it. The pool holds at most
// kPoolMaxBytes (1 GiB, and at most 1/8 of physical memory), oldest blocks freed first;
// _cpu.output_pool(clear=True) returns everything to the OS, PYNEURO_OUTPUT_POOL=0 turns it
// off. The arrays are ordinary NumPy arrays whose memory belongs to a capsule (their .base):
// NumPy frees nothing itself, the capsule gives the block back when the last view dies.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <vector>

namespace pyneuro::bind {

namespace py = pybind11;

constexpr std::size_t kPoolMinBytes = std::size_t(32) << 20;

// Whether large outputs use the pool (not with PYNEURO_OUTPUT_POOL=0).
bool output_pool_enabled();

// A block of at least `bytes` (64-byte aligned), from the pool when one fits, and the
// capsule that returns it there when it is destroyed.
py::capsule pooled_block(std::size_t bytes, void** data);

// A new C-contiguous array of the given shape; from the pool when it is large enough.
template <typename T>
py::array_t<T> new_output(const std::vector<py::ssize_t>& shape) {
  std::size_t count = 1;
  for (py::ssize_t d : shape) count *= std::size_t(d);
  const std::size_t bytes = count * sizeof(T);
  if (bytes < kPoolMinBytes || !output_pool_enabled()) return py::array_t<T>(shape);
  void* data = nullptr;
  py::capsule owner = pooled_block(bytes, &data);
  return py::array_t<T>(shape, static_cast<T*>(data), owner);
}

void register_output_pool(py::module_& m);

}  // namespace pyneuro::bind
