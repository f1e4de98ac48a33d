// pyneuro/common.h: types and run-time settings shared by every CPU kernel.
// Kernel sources include only this and their family's header: no Python, no pybind11.
#pragma once
#include <cstdint>

namespace pyneuro {

using index_t = std::int64_t;

// Threads used by every parallel kernel (OpenMP `num_threads` clause), set by
// pyneuro.set_num_threads. Kernels never split a reduction across threads, so
// results are bit-identical for any thread count.
int num_threads();
void set_num_threads(int n);

// Set flush-to-zero / denormals-are-zero on the calling thread (MXCSR). Denormal
// floats take a ~100-cycle microcode assist per operation; deep-learning values
// never need them. Every parallel region calls this once per thread.
void enable_flush_to_zero();

// Instruction sets detected at run time (cpuid via __builtin_cpu_supports).
bool cpu_has_avx2_fma();
bool cpu_has_avx512();
// "avx512", "avx2" or "scalar": the widest SIMD path the kernels dispatch to.
const char* simd_path();

}  // namespace pyneuro
