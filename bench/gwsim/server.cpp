#include "server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string_view>

namespace gwsim {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;
using namespace std::chrono_literals;

constexpr std::size_t max_body_bytes = 16 * 1024 * 1024;
constexpr auto handshake_timeout = 10s;
constexpr auto transfer_timeout = 30s;  // reading a started request, writing an answer

struct Context {
  Simulator& sim;
  ssl::context& tls;
  const ServerOptions& options;
};

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

void debug(const Context& ctx, std::string_view what, const beast::error_code& ec) {
  if (ctx.options.verbose) std::cerr << "herald-gwsim: " << what << ": " << ec.message() << '\n';
}

// How a peer normally goes away: orderly close, TCP close without TLS close_notify, or reset.
bool is_normal_close(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == ssl::error::stream_truncated || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A monotonic clock for the per-account rate windows (Simulator::handle's steady_ms).
std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Injected "reset": abort the TCP connection so the client sees ECONNRESET.
void abort_connection(Stream& stream) {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(stream).socket();
  socket.set_option(net::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

// Injected "drop answer": read and discard until the client gives up and closes.
net::awaitable<void> hold_until_peer_closes(Stream& stream) {
  beast::get_lowest_layer(stream).expires_never();
  std::array<char, 4096> scratch;
  beast::error_code ec;
  while (!ec)
    co_await stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> session(tcp::socket socket, const Context& ctx) {
  Stream stream(std::move(socket), ctx.tls);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::error_code ec;
  auto token = net::redirect_error(net::use_awaitable, ec);

  tcp_layer.expires_after(handshake_timeout);
  co_await stream.async_handshake(ssl::stream_base::server, token);
  if (ec) {
    if (!is_normal_close(ec)) debug(ctx, "TLS handshake", ec);  // e.g. not TLS at all
    co_return;  // a port probe (connect, close) is not worth a line
  }

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    tcp_layer.expires_after(std::chrono::seconds(ctx.options.idle_timeout_s));
    co_await http::async_read_header(stream, buffer, parser, token);
    if (ec) {
      if (!is_normal_close(ec) && ec != beast::error::timeout) debug(ctx, "read header", ec);
      co_return;  // idle timeout or peer gone: just drop the connection
    }
    tcp_layer.expires_after(transfer_timeout);
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, token);
      if (ec) {
        debug(ctx, "write 100-continue", ec);
        co_return;
      }
    }
    co_await http::async_read(stream, buffer, parser, token);
    if (ec) {
      if (!is_normal_close(ec)) debug(ctx, "read body", ec);
      co_return;
    }

    // Arrival is when the whole request has been read: the sim sees a call then, and no sooner.
    const auto& req = parser.get();
    const std::int64_t now_ms = unix_now_ms();
    Reply reply = ctx.sim.handle(sv(req.method_string()), sv(req.target()),
                                 sv(req[http::field::content_type]), req.body(), now_ms / 1000, now_ms,
                                 steady_now_ms());
    if (reply.action == Action::reset) {
      abort_connection(stream);
      co_return;
    }
    if (reply.action == Action::drop) {
      co_await hold_until_peer_closes(stream);
      co_return;
    }
    if (reply.delay.count() > 0) {
      net::steady_timer timer(co_await net::this_coro::executor, reply.delay);
      co_await timer.async_wait(token);
    }

    http::response<http::string_body> res{static_cast<http::status>(reply.status),
                                          req.version()};
    res.set(http::field::server, "herald-gwsim");
    res.set(http::field::content_type, "application/json;charset=UTF-8");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(reply.body);
    res.prepare_payload();
    tcp_layer.expires_after(transfer_timeout);
    co_await http::async_write(stream, res, token);
    if (ec) {
      if (!is_normal_close(ec)) debug(ctx, "write", ec);
      co_return;
    }
    if (!res.keep_alive()) break;
  }

  tcp_layer.expires_after(handshake_timeout);
  co_await stream.async_shutdown(token);
  if (ec && !is_normal_close(ec)) debug(ctx, "TLS shutdown", ec);
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, const Context& ctx) {
  auto executor = co_await net::this_coro::executor;
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open() || ec == net::error::operation_aborted) co_return;
      debug(ctx, "accept", ec);
      // Typically EMFILE: give connections a moment to go away instead of spinning.
      net::steady_timer pause(executor, 50ms);
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(executor, session(std::move(socket), ctx),
                  [&ctx](std::exception_ptr e) {
                    if (!e || !ctx.options.verbose) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      std::cerr << "herald-gwsim: connection: " << ex.what() << '\n';
                    }
                  });
  }
}

void write_port_file(const std::string& path, std::uint16_t port) {
  // Write then rename, so a test polling for the file never reads half of it.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write port file " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

void run_server(Simulator& sim, const ServerOptions& options) {
  // The TLS context outlives the io_context so sessions destroyed with it still see it.
  ssl::context tls{ssl::context::tls_server};
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls.use_certificate_chain_file(options.cert_file);
  tls.use_private_key_file(options.key_file, ssl::context::pem);

  const Context ctx{sim, tls, options};
  net::io_context ioc{1};
  const tcp::endpoint wanted{net::ip::make_address(options.host), options.port};
  tcp::acceptor acceptor{ioc};
  acceptor.open(wanted.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(wanted);
  acceptor.listen(net::socket_base::max_listen_connections);
  const tcp::endpoint bound = acceptor.local_endpoint();

  if (!options.port_file.empty()) write_port_file(options.port_file, bound.port());
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  std::cout << "herald-gwsim listening on " << host << ':' << bound.port() << std::endl;

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int signal) {
    if (ec) return;
    if (options.verbose) std::cerr << "herald-gwsim: signal " << signal << ", stopping\n";
    beast::error_code ignored;
    acceptor.close(ignored);
    ioc.stop();  // open sessions are destroyed with the io_context
  });

  net::co_spawn(ioc, accept_loop(acceptor, ctx), net::detached);
  ioc.run();
}

}  // namespace gwsim
