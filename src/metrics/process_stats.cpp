#include "herald/metrics/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "herald/metrics/exposition.hpp"

namespace herald::metrics {
namespace {

// The next space-separated token of `rest`, or empty at the end.
std::string_view next_token(std::string_view& rest) {
  const auto start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(start);
  const auto end = rest.find_first_of(" \n");
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  if (!rest.empty() && rest.front() == '\n') rest = {};  // one line only
  return token;
}

template <class T>
bool to_number(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// A small /proc file read whole (they are generated on read; their size is 0 to stat).
bool read_file(const char* path, std::string& out) {
  std::FILE* f = std::fopen(path, "re");
  if (!f) return false;
  char buf[4096];
  std::size_t n = 0;
  out.clear();
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return true;
}

std::uint64_t count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n > 0 ? n - 1 : 0;  // not the descriptor opendir itself holds
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos || line.find('(') == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  // Field 3 (state) is the first token after the name; proc(5) numbers them from 1.
  proc_stat s;
  bool ok = true;
  for (int field = 3; field <= 24; ++field) {
    const std::string_view t = next_token(rest);
    if (t.empty()) return std::nullopt;
    switch (field) {
      case 14: ok = ok && to_number(t, s.utime_ticks); break;
      case 15: ok = ok && to_number(t, s.stime_ticks); break;
      case 22: ok = ok && to_number(t, s.start_ticks); break;
      case 23: ok = ok && to_number(t, s.virtual_bytes); break;
      case 24: {
        // rss is signed in the kernel's format; a negative one never happens but is no size.
        std::int64_t pages = 0;
        ok = ok && to_number(t, pages) && pages >= 0;
        s.resident_pages = static_cast<std::uint64_t>(pages);
        break;
      }
      default: break;
    }
  }
  if (!ok) return std::nullopt;
  return s;
}

std::optional<std::int64_t> parse_boot_time(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, 6) != "btime ") continue;
    line.remove_prefix(6);
    std::int64_t v = 0;
    if (to_number(line, v) && v > 0) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

process_stats read_process_stats() {
  process_stats out;
  // CPU from getrusage: microseconds, where /proc's ticks are hundredths of a second.
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    out.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) out.max_fds = lim.rlim_cur;

  std::string text;
  if (!read_file("/proc/self/stat", text)) return out;
  const auto st = parse_proc_stat(text);
  if (!read_file("/proc/stat", text)) return out;
  const auto boot = parse_boot_time(text);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (!st || !boot || ticks <= 0 || page <= 0) return out;
  out.resident_bytes = st->resident_pages * static_cast<std::uint64_t>(page);
  out.virtual_bytes = st->virtual_bytes;
  out.start_time_seconds = static_cast<double>(*boot) + static_cast<double>(st->start_ticks) / static_cast<double>(ticks);
  out.open_fds = count_open_fds();
  out.has_proc = true;
  return out;
}

void append_process_metrics(std::string& out, const process_stats& s) {
  append_header(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  append_sample(out, "process_cpu_seconds_total", {}, s.cpu_seconds);
  if (s.max_fds > 0) {
    append_header(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    append_sample(out, "process_max_fds", {}, s.max_fds);
  }
  if (!s.has_proc) return;
  append_header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  append_sample(out, "process_resident_memory_bytes", {}, s.resident_bytes);
  append_header(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  append_sample(out, "process_virtual_memory_bytes", {}, s.virtual_bytes);
  append_header(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  append_sample(out, "process_start_time_seconds", {}, s.start_time_seconds);
  append_header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
  append_sample(out, "process_open_fds", {}, s.open_fds);
}

}  // namespace herald::metrics
