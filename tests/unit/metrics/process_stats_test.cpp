#include <doctest/doctest.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "herald/metrics/process_stats.hpp"

using namespace herald::metrics;

namespace {

// A /proc/<pid>/stat line as Linux 6.1 writes it (52 fields), name and numbers chosen.
std::string stat_line(const std::string& name, const std::string& utime = "150", const std::string& rss = "2560") {
  return "4242 (" + name + ") S 1 4242 4242 0 -1 4194560 1000 0 0 0 " + utime +
         " 25 0 0 20 0 3 0 987654 104857600 " + rss +
         " 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

}  // namespace

TEST_CASE("/proc/self/stat: the fields Herald uses, counted from the last parenthesis") {
  const proc_stat expected{150, 25, 987654, 104857600, 2560};
  struct row {
    std::string name;
  };
  // The command name may hold spaces, parentheses and digits (a thread can rename itself).
  for (const std::string name : {"herald", "a b", "x) 1 2 (y", "))", "(", ""}) {
    CAPTURE(name);
    const auto s = parse_proc_stat(stat_line(name));
    REQUIRE(s.has_value());
    CHECK(*s == expected);
  }
}

TEST_CASE("/proc/self/stat lines that are not such lines are refused") {
  const std::string cases[] = {
      "",
      "4242 herald S 1",
      "4242 (herald) S 1 2 3",         // too few fields
      stat_line("herald", "15x"),     // utime not a number
      stat_line("herald", "-1"),      // utime negative
      stat_line("herald", "150", "-5"),  // rss negative
      stat_line("herald", ""),        // a field missing: everything shifts
  };
  for (const auto& c : cases) {
    CAPTURE(c);
    CHECK_FALSE(parse_proc_stat(c).has_value());
  }
}

TEST_CASE("the boot time is the btime line of /proc/stat") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1718000000\nprocesses 9\n") == 1718000000);
  CHECK(parse_boot_time("btime 1718000000") == 1718000000);
  CHECK_FALSE(parse_boot_time("cpu 1\nprocesses 9\n").has_value());
  CHECK_FALSE(parse_boot_time("btime x\n").has_value());
  CHECK_FALSE(parse_boot_time("btime \n").has_value());
  CHECK_FALSE(parse_boot_time("xbtime 5\n").has_value());
  CHECK_FALSE(parse_boot_time("").has_value());
}

TEST_CASE("this process' own numbers are sane") {
  // Some CPU to count, memory touched so that it is resident, and two descriptors more.
  // Burned by the process' own CPU clock: a loaded machine may give a wall-clock loop little.
  const auto cpu_now = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  volatile double x = 0;
  const double burn_until = cpu_now() + 0.05;
  while (cpu_now() < burn_until) x = x + 1;
  std::vector<char> touched(16 << 20, 1);
  const auto before = read_process_stats();
  const int fd1 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int fd2 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const double cpu_before = cpu_now();
  const auto s = read_process_stats();
  const double cpu_after = cpu_now();
  ::close(fd1);
  ::close(fd2);
  REQUIRE(s.has_proc);
  CHECK(s.cpu_seconds >= 0.05);
  // getrusage's microseconds against the CPU clock read around it (the clock's own rounding aside).
  CHECK(s.cpu_seconds >= cpu_before - 0.01);
  CHECK(s.cpu_seconds <= cpu_after + 0.01);
  CHECK(s.resident_bytes >= touched.size());
  CHECK(s.virtual_bytes >= s.resident_bytes);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(s.start_time_seconds <= now + 1);
  CHECK(s.start_time_seconds > now - 600);  // this test binary started moments ago
  CHECK(s.open_fds >= 3);
  CHECK(s.open_fds == before.open_fds + 2);
  CHECK(s.max_fds >= s.open_fds);
}

TEST_CASE("process metrics render with their customary names") {
  process_stats s;
  s.cpu_seconds = 1.5;
  s.resident_bytes = 1024;
  s.virtual_bytes = 4096;
  s.start_time_seconds = 1718000000.25;
  s.open_fds = 9;
  s.max_fds = 1024;
  s.has_proc = true;
  std::string out;
  append_process_metrics(out, s);
  CHECK(out.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n") != std::string::npos);
  CHECK(out.find("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1024\n") != std::string::npos);
  CHECK(out.find("process_virtual_memory_bytes 4096\n") != std::string::npos);
  CHECK(out.find("process_start_time_seconds 1718000000.25\n") != std::string::npos);
  CHECK(out.find("process_open_fds 9\n") != std::string::npos);
  CHECK(out.find("process_max_fds 1024\n") != std::string::npos);
  // Without /proc only what getrusage and getrlimit gave.
  s.has_proc = false;
  out.clear();
  append_process_metrics(out, s);
  CHECK(out.find("process_cpu_seconds_total 1.5\n") != std::string::npos);
  CHECK(out.find("process_resident_memory_bytes") == std::string::npos);
}
