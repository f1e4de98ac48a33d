// registry.h: each binding file of pyneuro._cpu adds its functions through one of these.
#pragma once
#include <pybind11/pybind11.h>

namespace pyneuro::bind {
void register_matmul(pybind11::module_& m);
void register_softmax(pybind11::module_& m);
void register_elementwise(pybind11::module_& m);
void register_peak(pybind11::module_& m);
void register_conv(pybind11::module_& m);
void register_output_pool(pybind11::module_& m);
void register_sorting(pybind11::module_& m);
void register_norm(pybind11::module_& m);
}  // namespace pyneuro::bind
