// One JSON object per log line (util/log.hpp): what a field writes, and a text_if_any left out.
#include "herald/util/log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

// The line(s) written to stderr while `write` runs.
template <class F>
std::string captured(F write) {
  std::fflush(stderr);
  FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  const int saved = dup(STDERR_FILENO);
  dup2(fileno(tmp), STDERR_FILENO);
  write();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::rewind(tmp);
  std::string out;
  char buf[512];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) out.append(buf, n);
  std::fclose(tmp);
  return out;
}

}  // namespace

TEST_CASE("a text_if_any field is written when it has text and left out when empty") {
  const std::string with = captured([] {
    herald::log::info("outcome", {{"event_id", "e-1"}, {"trace_id", herald::log::if_any("0af7651916cd43dd8448eb211c80319c")},
                                  {"attempts", 2}});
  });
  CHECK(with.find(R"("msg":"outcome","event_id":"e-1","trace_id":"0af7651916cd43dd8448eb211c80319c","attempts":2})") !=
        std::string::npos);
  const std::string without = captured([] {
    herald::log::info("outcome", {{"event_id", "e-1"}, {"trace_id", herald::log::if_any("")}, {"attempts", 2}});
  });
  CHECK(without.find(R"("msg":"outcome","event_id":"e-1","attempts":2})") != std::string::npos);
  CHECK(without.find("trace_id") == std::string::npos);
  // A plain empty text is still written: only text_if_any is optional.
  const std::string plain = captured([] { herald::log::info("x", {{"error", ""}}); });
  CHECK(plain.find(R"("msg":"x","error":""})") != std::string::npos);
}
