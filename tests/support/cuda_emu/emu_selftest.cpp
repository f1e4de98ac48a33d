// emu_selftest.cpp: small kernels with planted bugs, to show that the CPU emulator
// (cuda_runtime_api.h) catches what it claims to. Run as `emu_selftest CASE`; it prints
// what the launch did and exits 0 (tests/test_cuda_emulated.py reads the output).
//   correct       a block-wide sum through shared memory with its barriers: the right sum
//   missing-sync  the same sum without the barrier after the stores: a wrong sum, every run
//   reuse-race    a shared tile overwritten before every thread has read it: wrong, every run
//   warp-exit     half a warp returns before a shuffle: the launch fails (deadlock)
//   split-barrier half a warp at a shuffle, the rest at __syncthreads: the launch fails
#include <cstdio>
#include <string>
#include <vector>

#include "cuda_runtime_api.h"

constexpr int kThreads = 256;

// out[0] = sum over the block of (threadIdx.x + 1), by a tree in shared memory.
__global__ void block_sum(float* out, bool sync_after_store) {
  __shared__ float s[kThreads];
  const int t = threadIdx.x;
  s[t] = float(t + 1);
  if (sync_after_store) __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (t < half) s[t] += s[t + half];
    __syncthreads();
  }
  if (t == 0) out[0] = s[0];
}

// Two rounds through one shared tile; each thread reads its right neighbour's value.
// Without the barrier before the second store, a thread overwrites the tile while a
// slower neighbour still has to read the first round's value.
__global__ void tile_reuse(float* out) {
  __shared__ float tile[kThreads];
  const int t = threadIdx.x;
  float acc = 0.0f;
  for (int round = 0; round < 2; ++round) {
    tile[t] = float(round * 1000 + t);
    __syncthreads();
    acc += tile[(t + 1) % kThreads];
    // (missing: __syncthreads() before the next round's store)
  }
  out[t] = acc;
}

__global__ void warp_exit(float* out) {
  const int lane = threadIdx.x % 32;
  if (lane >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, float(lane), 1);
}

__global__ void split_barrier(float* out) {
  const int lane = threadIdx.x % 32;
  float v = float(lane);
  if (lane < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
  __syncthreads();
  out[threadIdx.x] = v;
}

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  std::vector<float> out(kThreads, -1.0f);
  if (which == "correct" || which == "missing-sync") {
    emu::launch(dim3(1), dim3(kThreads), [&] { block_sum(out.data(), which == "correct"); });
    std::printf("sum %.0f want %d\n", out[0], kThreads * (kThreads + 1) / 2);
  } else if (which == "reuse-race") {
    emu::launch(dim3(1), dim3(kThreads), [&] { tile_reuse(out.data()); });
    int wrong = 0;
    for (int t = 0; t < kThreads; ++t) wrong += out[t] != float(2 * ((t + 1) % kThreads) + 1000);
    std::printf("wrong %d of %d\n", wrong, kThreads);
  } else if (which == "warp-exit") {
    emu::launch(dim3(2), dim3(64), [&] { warp_exit(out.data()); });
  } else if (which == "split-barrier") {
    emu::launch(dim3(1), dim3(64), [&] { split_barrier(out.data()); });
  } else {
    std::fprintf(stderr, "usage: emu_selftest correct|missing-sync|reuse-race|warp-exit|split-barrier\n");
    return 2;
  }
  std::printf("error %d\n", cudaGetLastError());
  return 0;
}
