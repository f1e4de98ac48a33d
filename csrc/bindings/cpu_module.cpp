// cpu_module.cpp: the pyneuro._cpu extension module: run-time settings plus the
// kernel families registered from cpu_*.cpp.
#include "pyneuro/omp.h"

#include "pyneuro/common.h"
#include "registry.h"

namespace py = pybind11;

#ifndef PYNEURO_VERSION
#define PYNEURO_VERSION "dev"
#endif

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "pyneuro's C++ CPU kernels (float32, row-major). Use pyneuro.backends.get('cpu').";
  m.attr("__version__") = PYNEURO_VERSION;
  m.def("get_num_threads", &pyneuro::num_threads, "Threads every parallel kernel uses.");
  m.def(
      "set_num_threads",
      [](int n) {
        if (n < 1) throw py::value_error("number of threads must be >= 1, got " + std::to_string(n));
        if (n > pyneuro::max_num_threads()) {
          throw py::value_error("number of threads must be <= " + std::to_string(pyneuro::max_num_threads()) +
                                " (4 per hardware thread, within OMP_THREAD_LIMIT), got " +
                                std::to_string(n));
        }
        pyneuro::set_num_threads(n);
      },
      py::arg("n"), "Set the threads every parallel kernel uses.");
  m.def("max_num_threads", &pyneuro::max_num_threads, "Largest count set_num_threads accepts.");
  m.def("simd_path", &pyneuro::simd_path, "SIMD path the kernels dispatch to: avx512, avx2 or scalar.");
  m.def("openmp_max_threads", &omp_get_max_threads);
#ifdef _OPENMP
  m.attr("openmp_version") = _OPENMP;
#endif
  pyneuro::bind::register_matmul(m);
  pyneuro::bind::register_softmax(m);
  pyneuro::bind::register_elementwise(m);
  pyneuro::bind::register_peak(m);
  pyneuro::bind::register_conv(m);
  pyneuro::bind::register_output_pool(m);
  pyneuro::bind::register_sorting(m);
  pyneuro::bind::register_norm(m);
}
