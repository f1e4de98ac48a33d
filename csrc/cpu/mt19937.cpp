// mt19937.cpp: the Mersenne Twister's 32-bit outputs, drawn from (and advancing) the state of a
// NumPy MT19937 bit generator, for torch's random streams (pyneuro/_torch_stream.py).
//
// What it computes. The reference mt19937 (Matsumoto & Nishimura): a state of 624 words and a
// position. Each output is the word at the position, tempered (four shift-and-xor steps); when
// the position reaches 624, the whole state is "twisted" into 624 new words first. NumPy's
// MT19937 keeps exactly this state, {uint32 key[624]; int pos}, behind
// `bit_generator.ctypes.state_address`; pyneuro seeds it the way torch seeds its own
// generator, so the words are torch's, and the samplers in _torch_stream.py turn them into
// torch's numbers.
//
// Why it is here. NumPy's random_raw draws each word through a function pointer (~1.7 ns a word
// on Zen 5); dropout on a 64x64x12x12 activation wants 1.2 million words (two per float64
// uniform), and weight init, randn and randperm draw as many words as values. This loop twists
// 624 words at a time and tempers them in a vectorisable loop: ~0.5 ns a word.
//
// The float32 uniforms torch draws most (rand, and the uniforms under randn) are written
// directly by mt19937_unit_f32: a 102-million-value embedding init otherwise fills an 820 MB
// word array first.
//
// Safety. The state's layout is NumPy's, not a documented API: _torch_stream.py checks once per
// process that these words equal random_raw's from the same state (across a twist) and falls
// back to random_raw if they do not.
#include <cstdint>

#include "pyneuro/elementwise.h"

namespace pyneuro::cpu {
namespace {

constexpr int kN = 624, kM = 397;
constexpr std::uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;

struct NumpyMt19937State {  // numpy/random/src/mt19937/mt19937.h
  std::uint32_t key[kN];
  int pos;
};

inline std::uint32_t twist(std::uint32_t a, std::uint32_t b, std::uint32_t m) {
  const std::uint32_t y = (a & kUpper) | (b & kLower);
  return m ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrixA);
}

// All 624 words anew, in the reference order (word i uses words i + 1 and i + 397, the latter
// already new for i >= 227).
void generate(std::uint32_t* key) {
  int i = 0;
  for (; i < kN - kM; ++i) key[i] = twist(key[i], key[i + 1], key[i + kM]);
  for (; i < kN - 1; ++i) key[i] = twist(key[i], key[i + 1], key[i + kM - kN]);
  key[kN - 1] = twist(key[kN - 1], key[0], key[kM - 1]);
}

inline std::uint32_t temper(std::uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

}  // namespace

namespace {

// n outputs into out, each written as put(tempered word): the twist-and-temper loop of both entries.
template <class T, class Put>
void draw(void* numpy_state, index_t n, T* out, Put put) {
  auto* st = static_cast<NumpyMt19937State*>(numpy_state);
  index_t done = 0;
  while (done < n) {
    if (st->pos >= kN) {
      generate(st->key);
      st->pos = 0;
    }
    const index_t take = n - done < kN - st->pos ? n - done : kN - st->pos;
    const std::uint32_t* src = st->key + st->pos;
    for (index_t k = 0; k < take; ++k) out[done + k] = put(temper(src[k]));
    st->pos += int(take);
    done += take;
  }
}

}  // namespace

void mt19937_words(void* numpy_state, index_t n, std::uint64_t* out) {
  draw(numpy_state, n, out, [](std::uint32_t w) { return std::uint64_t(w); });
}

// torch's uniform float32: the low 24 bits of a word times 2^-24 (both steps exact), written
// straight into the float array instead of through a word array and two NumPy passes.
void mt19937_unit_f32(void* numpy_state, index_t n, float* out) {
  draw(numpy_state, n, out, [](std::uint32_t w) { return float(w & 0xFFFFFFu) * 0x1p-24f; });
}

}  // namespace pyneuro::cpu
