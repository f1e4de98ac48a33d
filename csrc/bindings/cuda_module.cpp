// cuda_module.cpp: pyneuro._cuda, the CUDA extension module.
//
// The CUDA runtime is linked statically, so this module imports on a machine with no
// GPU and no libcudart; `device_status()` then reports the CUDA error (e.g. 35,
// cudaErrorInsufficientDriver, or 100, cudaErrorNoDevice) and the Python backend turns
// it into its "unavailable" reason. The static runtime needs a driver at least as new as
// the toolkit (cuda_runtime_version); driver_version() lets that reason name both. CUDA errors never abort: they surface as
// RuntimeError carrying the CUDA error name and string.
#include <pybind11/pybind11.h>

#include <string>

#include "cuda_array.h"

namespace py = pybind11;
namespace pc = pyneuro::cuda;

#ifndef PYNEURO_VERSION
#define PYNEURO_VERSION "dev"
#endif

namespace pyneuro::bind::cuda {
void register_conv(pybind11::module_& m);
}  // namespace pyneuro::bind::cuda

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "pyneuro CUDA kernels and device arrays (see pyneuro/backends/cuda_backend.py)";
  m.attr("__version__") = PYNEURO_VERSION;
  m.attr("cuda_runtime_version") = CUDART_VERSION;

  m.def(
      "device_status",
      []() -> py::tuple {
        cudaError_t err = cudaSuccess;
        const int count = pc::device_count_or_error(&err);
        if (err != cudaSuccess) return py::make_tuple(0, static_cast<int>(err), pc::error_string(err));
        return py::make_tuple(count, 0, std::string());
      },
      "(device_count, cuda_error_code, cuda_error_string): never raises; code 0 when the query worked.");
  m.def(
      "driver_version",
      []() {
        int v = 0;  // 0: no driver installed
        if (cudaDriverGetVersion(&v) != cudaSuccess) v = 0;
        cudaGetLastError();
        return v;
      },
      "The CUDA version the installed driver supports (e.g. 12040 for 12.4); 0 without a driver.");
  m.def("device_count", []() {
    cudaError_t err = cudaSuccess;
    const int count = pc::device_count_or_error(&err);
    pc::check(err, "cudaGetDeviceCount");
    return count;
  });
  m.def("synchronize", &pc::synchronize, "Wait for every kernel launched so far (raises their errors).");
  m.def(
      "get_device_name",
      [](int device) {
        cudaDeviceProp prop{};
        pc::check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
        return std::string(prop.name);
      },
      py::arg("device") = 0);
  m.def(
      "get_device_properties",
      [](int device) {
        cudaDeviceProp prop{};
        pc::check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
        int clock_khz = 0, mem_clock_khz = 0;
        cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device);
        cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, device);
        cudaGetLastError();
        py::dict d;
        d["name"] = std::string(prop.name);
        d["major"] = prop.major;
        d["minor"] = prop.minor;
        d["total_memory"] = prop.totalGlobalMem;
        d["multi_processor_count"] = prop.multiProcessorCount;
        d["clock_rate_khz"] = clock_khz;
        d["memory_clock_rate_khz"] = mem_clock_khz;
        d["memory_bus_width"] = prop.memoryBusWidth;
        d["l2_cache_size"] = prop.l2CacheSize;
        return d;
      },
      py::arg("device") = 0);
  m.def("get_last_error", []() {
    // Reports (and clears) a pending asynchronous kernel error without synchronising.
    const cudaError_t err = cudaGetLastError();
    return err == cudaSuccess ? std::string() : pc::error_string(err);
  });

  pyneuro::bind::cuda::register_array(m);
  pyneuro::bind::cuda::register_kernels(m);
  pyneuro::bind::cuda::register_conv(m);  // cuda_conv.cpp
}
