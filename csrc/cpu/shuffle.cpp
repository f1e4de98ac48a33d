// shuffle.cpp: torch.randperm(n) from the random generator's 32-bit words (declared in
// pyneuro/elementwise.h), the shuffle a DataLoader draws once per epoch.
//
// What it computes. Torch's CPU randperm is the forward Fisher-Yates shuffle: start from
// 0..n-1 and, for i = 0..n-2, swap element i with element i + word_i % (n - i), word_i being
// the generator's i-th 32-bit output. pyneuro draws the same words (pyneuro/_torch_stream.py),
// so with the same seed the permutation is torch's, element for element.
//
// What it costs. n - 1 swaps, each a modulo and two random accesses into the n int64s: about
// 0.1-0.2 ms for n = 60,000 (the array is 480 KB, in L2). The same loop in Python costs
// ~0.15 us per element (9 ms per epoch of Fashion-MNIST), which is why it is here. The loop is
// sequential: swap i may read what an earlier swap wrote, so it runs on one thread.
#include "pyneuro/elementwise.h"

namespace pyneuro::cpu {

void randperm_swaps(const std::uint64_t* words, index_t n, std::int64_t* perm) {
  for (index_t i = 0; i < n; ++i) perm[i] = i;
  for (index_t i = 0; i + 1 < n; ++i) {
    const index_t j = i + index_t((words[i] & 0xFFFFFFFFu) % std::uint64_t(n - i));
    const std::int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

}  // namespace pyneuro::cpu
