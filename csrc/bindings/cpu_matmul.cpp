// cpu_matmul.cpp: binding of the matmul ladder: validate, allocate C, release the GIL, run.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/common.h"
#include "pyneuro/matmul.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

cpu::MatmulVariant parse_variant(const std::string& name) {
  if (name == "packed") return cpu::MatmulVariant::Packed;
  if (name == "blocked") return cpu::MatmulVariant::Blocked;
  if (name == "naive") return cpu::MatmulVariant::Naive;
  throw py::value_error("unknown matmul variant '" + name + "'; choose one of: naive, blocked, packed");
}

// The epilogue (pyneuro/matmul.h), in one call: bias (optional, (N,)) added, then relu
// (nn.Sequential's Linear + ReLU), then relu_mask (optional, (M, N): the output of the ReLU the
// product's gradient flows through) zeroing C where it is <= 0. The same bits as matmul followed
// by bias_add, relu_forward and relu_backward.
py::array_t<float> matmul(const py::object& a_obj, const py::object& b_obj, bool trans_a, bool trans_b,
                          const std::string& variant, const py::object& bias_obj, bool relu,
                          const py::object& mask_obj) {
  const auto kind = parse_variant(variant);
  auto a = require<float>(a_obj, "a", 2);
  auto b = require<float>(b_obj, "b", 2);
  const auto [M, N, K] = matmul_dims(shape_of(a), trans_a, shape_of(b), trans_b);
  cpu::MatmulEpilogue epilogue;
  epilogue.relu = relu;
  py::array_t<float> bias, mask;
  if (!bias_obj.is_none()) {
    bias = require<float>(bias_obj, "bias", 1);
    check_bias_shape({M, N}, shape_of(bias));
    epilogue.bias = bias.data();
  }
  if (!mask_obj.is_none()) {
    mask = require<float>(mask_obj, "relu_mask", 2);
    if (shape_of(mask) != std::vector<py::ssize_t>{M, N}) {
      throw py::value_error("relu_mask of shape " + shape_str(mask) + " does not match the product's shape " +
                            shape_str({M, N}));
    }
    epilogue.relu_mask = mask.data();
  }
  auto c = new_output<float>({M, N});
  const float* pa = a.data();
  const float* pb = b.data();
  float* pc = c.mutable_data();
  {
    py::gil_scoped_release release;
    cpu::matmul(kind, pa, pb, pc, M, N, K, trans_a, trans_b, epilogue);
  }
  return c;
}

// matmul_batched: C[i] = op(A[i]) @ op(B[i]) for i < batch, 3-D arrays (a batch of attention
// scores, bmm): one binding call instead of one per matrix (~2 us of Python and pybind each, which
// for 64 products of 32 x 16 x 32 was 90% of the time). Small products run one per thread over the
// batch (each on its calling thread: the packed kernel does not nest threads); large ones one after
// the other, each with all the threads. Every C[i] gets the bits a 2-D matmul call would give it.
py::array_t<float> matmul_batched(const py::object& a_obj, const py::object& b_obj, bool trans_a,
                                  bool trans_b) {
  auto a = require<float>(a_obj, "a", 3);
  auto b = require<float>(b_obj, "b", 3);
  const auto sa = shape_of(a), sb = shape_of(b);
  if (sa[0] != sb[0]) {
    throw py::value_error("matmul_batched: a and b hold different numbers of matrices: a has shape " +
                          shape_str(a) + ", b " + shape_str(b));
  }
  const MatmulDims dims = matmul_dims({sa[1], sa[2]}, trans_a, {sb[1], sb[2]}, trans_b);
  const index_t M = dims.m, N = dims.n, K = dims.k, batch = sa[0];  // (plain names: lambdas capture them)
  auto c = new_output<float>({batch, M, N});
  const float* pa = a.data();
  const float* pb = b.data();
  float* pc = c.mutable_data();
  const index_t work = index_t(M) * N * K;
  {
    ReleaseGilIfLarge release(batch * work);
    auto one = [&](index_t i) {
      cpu::matmul(cpu::MatmulVariant::Packed, pa + i * M * K, pb + i * K * N, pc + i * M * N, M, N, K,
                  trans_a, trans_b);
    };
    if (work >= (index_t(1) << 21)) {  // 128^3 and up: each product is worth all the threads
      for (index_t i = 0; i < batch; ++i) one(i);
    } else {
      parallel_for(batch, 2 * batch * work, [&](index_t begin, index_t end) {  // (work in flops)
        for (index_t i = begin; i < end; ++i) one(i);
      });
    }
  }
  return c;
}

// matmul_tuning(**knobs): sets the given knobs of the packed variant (pyneuro/matmul.h,
// MatmulTuning; 0 or -1 = automatic) and returns all of them, plus the automatic block sizes
// and the cache sizes they come from. For experiments, benchmarks and the lab.
// The integer knobs, in the order they are reported (min_work_per_thread, a number, follows).
constexpr std::pair<const char*, int cpu::MatmulTuning::*> kIntKnobs[] = {
    {"kc", &cpu::MatmulTuning::kc},         {"mc", &cpu::MatmulTuning::mc},
    {"nc", &cpu::MatmulTuning::nc},         {"pack_a", &cpu::MatmulTuning::pack_a},
    {"pack_b", &cpu::MatmulTuning::pack_b}, {"row_threads", &cpu::MatmulTuning::row_threads},
    {"pieces", &cpu::MatmulTuning::pieces}, {"prefetch_b", &cpu::MatmulTuning::prefetch_b},
};

py::dict matmul_tuning(const py::kwargs& knobs) {
  cpu::MatmulTuning t = cpu::matmul_tuning();
  for (const auto& item : knobs) {
    const std::string key = py::str(item.first);
    const bool is_float = key == "min_work_per_thread";
    if (!(py::isinstance<py::int_>(item.second) || (is_float && py::isinstance<py::float_>(item.second))) ||
        py::isinstance<py::bool_>(item.second)) {
      throw py::type_error("matmul_tuning(): " + key + " must be " + (is_float ? "a number" : "an int") +
                           ", got " + std::string(py::str(py::type::of(item.second).attr("__name__"))));
    }
    if (is_float) {
      t.min_work_per_thread = item.second.cast<double>();
      continue;
    }
    const auto* knob = std::find_if(std::begin(kIntKnobs), std::end(kIntKnobs),
                                    [&](const auto& k) { return key == k.first; });
    if (knob == std::end(kIntKnobs))
      throw py::type_error(
          "matmul_tuning() got an unexpected keyword argument '" + key +
          "'; knobs: kc, mc, nc, pack_a, pack_b, row_threads, pieces, prefetch_b, min_work_per_thread");
    t.*(knob->second) = item.second.cast<int>();
  }
  if (!knobs.empty()) cpu::set_matmul_tuning(t);
  t = cpu::matmul_tuning();  // as stored (clamped)
  const cpu::MatmulBlocks a = cpu::matmul_auto_blocks();
  const CacheSizes& c = cache_sizes();
  py::dict d;
  for (const auto& [name, member] : kIntKnobs) d[name] = t.*member;
  d["min_work_per_thread"] = t.min_work_per_thread;
  d["auto"] = py::dict(py::arg("kc") = a.kc, py::arg("kc_in_place") = a.kc_in_place, py::arg("mc") = a.mc,
                       py::arg("nc") = a.nc, py::arg("mr") = a.mr, py::arg("nr") = a.nr,
                       py::arg("kc_deep") = a.kc_deep,
                       py::arg("deep_for") = a.depth_rule == 2   ? "all"
                                             : a.depth_rule == 1 ? "c_over_l2"
                                                                 : "none");
  d["caches"] = py::dict(py::arg("l1d") = c.l1d, py::arg("l2") = c.l2, py::arg("l3") = c.l3,
                         py::arg("source") = c.source);
  return d;
}

}  // namespace

void register_matmul(py::module_& m) {
  m.attr("matmul_variants") = py::make_tuple("naive", "blocked", "packed");
  m.def(
      "matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
      py::arg("variant") = "packed", py::arg("bias") = py::none(), py::arg("relu") = false,
      py::arg("relu_mask") = py::none(),
      "C = op(a) @ op(b) for float32 C-contiguous 2-D arrays (op transposes in place when its flag is set), "
      "then + bias[None, :] when given, max(C, 0) when relu, and 0 where relu_mask <= 0 when given.");
  m.def(
      "matmul_batched", &matmul_batched, py::arg("a"), py::arg("b"), py::arg("trans_a") = false,
      py::arg("trans_b") = false,
      "C[i] = op(a[i]) @ op(b[i]) for float32 C-contiguous 3-D arrays holding the same number of matrices.");
  m.def("matmul_tuning", &matmul_tuning,
        "Set knobs of the packed matmul (kc, mc, nc, pack_a, pack_b, row_threads, pieces, prefetch_b, "
        "min_work_per_thread; 0 or -1 = automatic) and return them with the automatic block sizes and "
        "the cache sizes.");
}

}  // namespace pyneuro::bind
