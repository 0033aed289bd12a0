#include "herald/http/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <stdexcept>

#include "herald/util/log.hpp"

namespace herald::http {
namespace beast = boost::beast;
namespace asio = boost::asio;

struct admin_server::impl : std::enable_shared_from_this<admin_server::impl> {
  asio::ip::tcp::acceptor acceptor;
  handler h;
  bool is_stopped = false;

  impl(asio::any_io_executor ex, handler handler_) : acceptor(ex), h(std::move(handler_)) {}

  asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> req;
    // One request per connection: probes and scrapers reconnect, and nothing can linger.
    stream.expires_after(std::chrono::seconds(5));
    auto [ec, n] = co_await beast::http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    admin_answer a;
    if (req.method() != beast::http::verb::get) {
      a = {405, "text/plain", "only GET\n"};
    } else {
      std::string_view target(req.target().data(), req.target().size());
      a = h(target.substr(0, target.find('?')));
    }
    beast::http::response<beast::http::string_body> res{static_cast<beast::http::status>(a.status), 11};
    res.set(beast::http::field::content_type, a.content_type);
    res.set(beast::http::field::connection, "close");
    res.body() = std::move(a.body);
    res.prepare_payload();
    auto [wec, wn] = co_await beast::http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    (void)wec;
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!is_stopped) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (is_stopped) co_return;
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
};

admin_server::admin_server(asio::any_io_executor ex, const std::string& host, std::uint16_t port, handler h)
    : impl_(std::make_shared<impl>(ex, std::move(h))) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("admin.listen: " + host + " is not an IP address");
  asio::ip::tcp::endpoint ep(address, port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep, ec);
  if (ec) throw std::runtime_error("admin.listen: cannot bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  impl_->acceptor.listen();
  asio::co_spawn(ex, impl_->accept_loop(), asio::detached);
}

admin_server::~admin_server() { stop(); }

std::uint16_t admin_server::port() const { return impl_->acceptor.local_endpoint().port(); }

void admin_server::stop() {
  if (impl_->is_stopped) return;
  impl_->is_stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace herald::http
