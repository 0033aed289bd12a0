#pragma once
// The process metrics every Prometheus client exports (process_cpu_seconds_total,
// process_resident_memory_bytes, ...), read from /proc at scrape time: nothing is kept or counted
// between scrapes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::metrics {

// The fields of /proc/<pid>/stat Herald uses (proc(5)); times in clock ticks.
struct proc_stat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t start_ticks = 0;  // since boot
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
  bool operator==(const proc_stat&) const = default;
};

// Parses the one line of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// hold anything, spaces and ')' included: the fields are counted from the last ')'. Nullopt for a
// line that is not such a line.
std::optional<proc_stat> parse_proc_stat(std::string_view line);
// The boot time (the "btime" line of /proc/stat), in Unix seconds.
std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat_text);

struct process_stats {
  double cpu_seconds = 0;           // user + system
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  double start_time_seconds = 0;    // Unix time
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;        // the soft RLIMIT_NOFILE
  bool has_proc = false;            // /proc read: the memory, start time and fds above are known
};

// Reads this process' numbers now (a few small reads of /proc; for a scrape, not for a hot path).
process_stats read_process_stats();

// Appends process_* metrics (HELP, TYPE, value) for s; the ones /proc gave only if has_proc.
void append_process_metrics(std::string& out, const process_stats& s);

}  // namespace herald::metrics
