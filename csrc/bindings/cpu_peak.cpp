// cpu_peak.cpp: bindings of the machine-peak probes used by `pyneuro bench`.
#include <new>
#include <string>

#include "pyneuro/peak.h"
#include "registry.h"

namespace py = pybind11;

namespace pyneuro::bind {

namespace {

py::dict peak_flops(int threads, long long iterations, const std::string& isa) {
  if (threads < 0)
    throw py::value_error("threads must be >= 0 (0 = pyneuro's thread count), got " +
                          std::to_string(threads));
  if (iterations < 1) throw py::value_error("iterations must be >= 1, got " + std::to_string(iterations));
  if (isa != "auto" && isa != "avx512" && isa != "avx2" && isa != "scalar")
    throw py::value_error("isa must be one of auto, avx512, avx2, scalar; got '" + isa + "'");
  cpu::PeakResult r;
  {
    py::gil_scoped_release release;
    r = cpu::fma_peak(threads ? threads : num_threads(), iterations, isa.c_str());
  }
  py::dict out;
  out["gflops"] = r.gflops;
  out["seconds"] = r.seconds;
  out["threads"] = r.threads;
  out["isa"] = std::string(r.isa);
  return out;
}

py::dict copy_bandwidth(long long nbytes, int threads, int repeats) {
  if (nbytes < 4096) throw py::value_error("nbytes must be >= 4096, got " + std::to_string(nbytes));
  if (threads < 0)
    throw py::value_error("threads must be >= 0 (0 = pyneuro's thread count), got " +
                          std::to_string(threads));
  if (repeats < 1) throw py::value_error("repeats must be >= 1, got " + std::to_string(repeats));
  cpu::BandwidthResult r;
  {
    py::gil_scoped_release release;
    r = cpu::copy_bandwidth(nbytes, threads ? threads : num_threads(), repeats);
  }
  if (r.gbs <= 0.0) throw std::bad_alloc();  // aligned_alloc failed -> MemoryError
  py::dict out;
  out["gbs"] = r.gbs;
  out["seconds"] = r.seconds;
  out["threads"] = r.threads;
  out["bytes"] = nbytes;
  return out;
}

}  // namespace

void register_peak(py::module_& m) {
  m.def("peak_flops", &peak_flops, py::arg("threads") = 0, py::arg("iterations") = 20000000,
        py::arg("isa") = "auto",
        "Measured float32 FMA peak: dict(gflops, seconds, threads, isa). Registers only, no memory.");
  m.def("copy_bandwidth", &copy_bandwidth, py::arg("nbytes") = 256LL << 20, py::arg("threads") = 0,
        py::arg("repeats") = 5,
        "Measured parallel memcpy bandwidth: dict(gbs, seconds, threads, bytes); gbs counts read + write.");
}

}  // namespace pyneuro::bind
