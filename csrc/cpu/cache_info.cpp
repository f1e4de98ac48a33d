// cache_info.cpp: the data cache sizes of this CPU, which the packed matmul sizes its blocks
// from (matmul_blocking.h, size_blocks). A block that overflows its cache level is
// re-read from the next one on every pass; one that uses a small part of it wastes reuse.
// The sizes differ a lot between machines of the same ISA: an Intel Xeon (Sapphire Rapids)
// has 48 KiB of L1d and 2 MiB of L2 per core, an AMD EPYC (Zen 4) 32 KiB and 1 MiB, an
// Apple M-series core 128 KiB of L1d, so fixed block sizes are right on one of them at most.
//
// Where the numbers come from, first found wins (all read once, then cached):
//   1. PYNEURO_CACHE_SIZES="L1d,L2,L3" in bytes (experiments; also the only way on an OS
//      that reports nothing);
//   2. Linux: /sys/devices/system/cpu/cpu0/cache/index*/ (level, type and size of each);
//   3. sysconf(_SC_LEVEL1_DCACHE_SIZE, ...) (glibc asks cpuid on x86);
//   4. macOS: sysctl hw.l1dcachesize / hw.l2cachesize / hw.l3cachesize;
//   5. defaults of a typical x86 core: 32 KiB, 1 MiB, 8 MiB.
// L1d and L2 are per core on every current x86 and ARM server; L3 is shared and reported
// whole.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pyneuro/common.h"

#if defined(__linux__)
#include <unistd.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace pyneuro {

namespace {

constexpr std::size_t kKiB = 1024;

// "48K", "2048K", "32M" or a plain byte count, as sysfs writes them; 0 if unreadable.
std::size_t parse_size(const char* s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s) return 0;
  if (*end == 'K' || *end == 'k') return std::size_t(v) * kKiB;
  if (*end == 'M' || *end == 'm') return std::size_t(v) * kKiB * kKiB;
  return std::size_t(v);
}

bool from_env(CacheSizes& c) {
  const char* s = std::getenv("PYNEURO_CACHE_SIZES");
  if (!s || !*s) return false;
  unsigned long long l1 = 0, l2 = 0, l3 = 0;
  if (std::sscanf(s, "%llu,%llu,%llu", &l1, &l2, &l3) != 3 || l1 == 0 || l2 == 0) return false;
  c = {std::size_t(l1), std::size_t(l2), std::size_t(l3), "PYNEURO_CACHE_SIZES"};
  return true;
}

#if defined(__linux__)
bool read_line(const std::string& path, char* buf, int n) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return false;
  const bool ok = std::fgets(buf, n, f) != nullptr;
  std::fclose(f);
  return ok;
}

bool from_sysfs(CacheSizes& c) {
  CacheSizes found{0, 0, 0, "sysfs"};
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    char level[16], type[32], size[32];
    if (!read_line(dir + "level", level, sizeof level)) break;
    if (!read_line(dir + "type", type, sizeof type) || !read_line(dir + "size", size, sizeof size)) continue;
    if (std::strncmp(type, "Instruction", 11) == 0) continue;
    const std::size_t bytes = parse_size(size);
    const int lv = std::atoi(level);
    if (lv == 1) found.l1d = bytes;
    if (lv == 2) found.l2 = bytes;
    if (lv == 3) found.l3 = bytes;
  }
  if (found.l1d == 0 || found.l2 == 0) return false;
  c = found;
  return true;
}

bool from_sysconf(CacheSizes& c) {
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
  const long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l1 <= 0 || l2 <= 0) return false;
  c = {std::size_t(l1), std::size_t(l2), l3 > 0 ? std::size_t(l3) : 0, "sysconf"};
  return true;
#else
  (void)c;
  return false;
#endif
}
#endif

#if defined(__APPLE__)
std::size_t sysctl_size(const char* name) {
  long long v = 0;
  std::size_t len = sizeof v;
  return sysctlbyname(name, &v, &len, nullptr, 0) == 0 && v > 0 ? std::size_t(v) : 0;
}

bool from_sysctl(CacheSizes& c) {
  const std::size_t l1 = sysctl_size("hw.l1dcachesize"), l2 = sysctl_size("hw.l2cachesize");
  if (l1 == 0 || l2 == 0) return false;
  c = {l1, l2, sysctl_size("hw.l3cachesize"), "sysctl"};
  return true;
}
#endif

CacheSizes detect() {
  CacheSizes c{32 * kKiB, 1024 * kKiB, 8192 * kKiB, "default"};
  if (from_env(c)) return c;
#if defined(__linux__)
  if (from_sysfs(c) || from_sysconf(c)) return c;
#endif
#if defined(__APPLE__)
  if (from_sysctl(c)) return c;
#endif
  return c;
}

}  // namespace

const CacheSizes& cache_sizes() {
  static const CacheSizes sizes = detect();
  return sizes;
}

}  // namespace pyneuro
