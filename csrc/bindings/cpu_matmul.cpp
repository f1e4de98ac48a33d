// cpu_matmul.cpp: binding of the matmul ladder: validate, allocate C, release the GIL, run.
#include <string>

#include "checks.h"
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

py::array_t<float> matmul(const py::object& a_obj, const py::object& b_obj, bool trans_a, bool trans_b,
                          const std::string& variant) {
  const auto kind = parse_variant(variant);
  auto a = require<float>(a_obj, "a", 2);
  auto b = require<float>(b_obj, "b", 2);
  const auto [M, N, K] = matmul_dims(shape_of(a), trans_a, shape_of(b), trans_b);
  py::array_t<float> c({M, N});
  const float* pa = a.data();
  const float* pb = b.data();
  float* pc = c.mutable_data();
  {
    py::gil_scoped_release release;
    cpu::matmul(kind, pa, pb, pc, M, N, K, trans_a, trans_b);
  }
  return c;
}

}  // namespace

void register_matmul(py::module_& m) {
  m.attr("matmul_variants") = py::make_tuple("naive", "blocked", "packed");
  m.def(
      "matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
      py::arg("variant") = "packed",
      "C = op(a) @ op(b) for float32 C-contiguous 2-D arrays; op transposes in place when its flag is set.");
}

}  // namespace pyneuro::bind
