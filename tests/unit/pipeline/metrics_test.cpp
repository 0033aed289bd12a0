#include <doctest/doctest.h>

#include "herald/pipeline/metrics.hpp"

using namespace herald::pipeline;

TEST_CASE("metrics render as Prometheus text with one line per outcome status") {
  counters c;
  c.consumed = 7;
  c.outcomes[0] = 5;  // sent
  c.outcomes[5] = 2;  // invalid
  gauges g;
  g.events_in_flight = 3;
  g.is_redis_up = true;
  g.redis_round_trips = 11;
  auto text = render_metrics(c, g);
  CHECK(text.find("# TYPE herald_redis_round_trips_total counter\nherald_redis_round_trips_total 11\n") !=
        std::string::npos);
  CHECK(text.find("herald_events_consumed_total 7\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"sent\"} 5\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"invalid\"} 2\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"duplicate\"} 0\n") != std::string::npos);
  CHECK(text.find("herald_events_in_flight 3\n") != std::string::npos);
  CHECK(text.find("herald_redis_up 1\n") != std::string::npos);
  CHECK(text.find("# TYPE herald_events_consumed_total counter\n") != std::string::npos);
}

TEST_CASE("dropped redeliveries and internal errors are counters of their own") {
  counters c;
  c.redeliveries_dropped = 4;
  c.internal_errors = 2;
  c.revoked_dropped = 7;
  c.writes_refused = 9;
  auto text = render_metrics(c, gauges{});
  CHECK(text.find("# TYPE herald_redeliveries_dropped_total counter\nherald_redeliveries_dropped_total 4\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_revoked_dropped_total counter\nherald_revoked_dropped_total 7\n") != std::string::npos);
  CHECK(text.find("# TYPE herald_ledger_writes_refused_total counter\nherald_ledger_writes_refused_total 9\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_internal_errors_total counter\nherald_internal_errors_total 2\n") !=
        std::string::npos);
}

TEST_CASE("transactions committed and aborted are counters") {
  gauges g;
  g.transactions_committed = 12;
  g.transactions_aborted = 1;
  auto text = render_metrics(counters{}, g);
  CHECK(text.find("# TYPE herald_transactions_committed_total counter\nherald_transactions_committed_total 12\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_transactions_aborted_total counter\nherald_transactions_aborted_total 1\n") !=
        std::string::npos);
}
