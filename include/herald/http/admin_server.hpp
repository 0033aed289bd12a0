#pragma once
// A tiny plain-HTTP server for operators and Kubernetes probes: GET /metrics (Prometheus text),
// /healthz, /readyz. Loopback or pod-internal only; it serves no secrets.
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace herald::http {

struct admin_answer {
  int status = 200;
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  std::string body;
};

class admin_server {
 public:
  using handler = std::function<admin_answer(std::string_view path)>;
  // Binds at once (throws std::runtime_error naming the address when it cannot); port 0 picks one.
  admin_server(boost::asio::any_io_executor ex, const std::string& host, std::uint16_t port, handler h);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;
  std::uint16_t port() const;
  void stop();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::http
