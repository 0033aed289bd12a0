#include "chaos/support/redis_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace herald::chaos {

// --- RESP framing -----------------------------------------------------------------------------

namespace {

// A length or count in a RESP header line: -1 (nil) or 0..2^31.
bool parse_length(std::string_view line, long long& out) {
  if (line.empty()) return false;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out);
  return ec == std::errc() && end == line.data() + line.size() && out >= -1 && out <= (1LL << 31);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

}  // namespace

frame resp_frame(std::string_view data) {
  std::size_t pos = 0;
  long long remaining = 1;  // values still to read; aggregates add their elements
  while (remaining > 0) {
    if (pos >= data.size()) return {frame_status::incomplete, 0};
    const char type = data[pos];
    const auto eol = data.find("\r\n", pos + 1);
    if (eol == std::string_view::npos) return {frame_status::incomplete, 0};
    const std::string_view line = data.substr(pos + 1, eol - pos - 1);
    pos = eol + 2;
    --remaining;
    long long n = 0;
    switch (type) {
      case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        break;
      case '$': case '!': case '=':
        if (!parse_length(line, n)) return {frame_status::invalid, 0};
        if (n == -1) break;  // nil bulk string
        if (data.size() < pos + static_cast<std::size_t>(n) + 2) return {frame_status::incomplete, 0};
        if (data.compare(pos + static_cast<std::size_t>(n), 2, "\r\n") != 0) return {frame_status::invalid, 0};
        pos += static_cast<std::size_t>(n) + 2;
        break;
      case '*': case '~': case '>':
        if (!parse_length(line, n)) return {frame_status::invalid, 0};
        if (n > 0) remaining += n;
        break;
      case '%':
        if (!parse_length(line, n) || n < 0) return {frame_status::invalid, 0};
        remaining += 2 * n;
        break;
      case '|':  // attributes precede the value they describe
        if (!parse_length(line, n) || n < 0) return {frame_status::invalid, 0};
        remaining += 2 * n + 1;
        break;
      default:
        return {frame_status::invalid, 0};
    }
  }
  return {frame_status::complete, pos};
}

std::vector<std::string_view> resp_command_args(std::string_view f) {
  std::vector<std::string_view> args;
  if (f.empty() || f[0] != '*') return {};
  auto eol = f.find("\r\n");
  long long n = 0;
  if (eol == std::string_view::npos || !parse_length(f.substr(1, eol - 1), n) || n <= 0) return {};
  std::size_t pos = eol + 2;
  for (long long i = 0; i < n; ++i) {
    if (pos >= f.size() || f[pos] != '$') return {};
    eol = f.find("\r\n", pos);
    long long len = 0;
    if (eol == std::string_view::npos || !parse_length(f.substr(pos + 1, eol - pos - 1), len) || len < 0) return {};
    pos = eol + 2;
    if (f.size() < pos + static_cast<std::size_t>(len) + 2) return {};
    args.push_back(f.substr(pos, static_cast<std::size_t>(len)));
    pos += static_cast<std::size_t>(len) + 2;
  }
  return args;
}

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("sha1 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

command_matcher script_matcher(std::string script_text) {
  std::string sha = sha1_hex(script_text);
  return [sha = std::move(sha), text = std::move(script_text)](const std::vector<std::string_view>& args) {
    if (args.size() < 2) return false;
    if (iequals(args[0], "EVALSHA")) return iequals(args[1], sha);
    if (iequals(args[0], "EVAL")) return args[1] == text;
    return false;
  };
}

command_matcher name_matcher(std::string name) {
  return [name = std::move(name)](const std::vector<std::string_view>& args) {
    return !args.empty() && iequals(args[0], name);
  };
}

// --- The proxy --------------------------------------------------------------------------------

struct redis_proxy::link {
  int client_fd = -1;
  int server_fd = -1;
  std::string from_client, to_server, from_server, to_client;
  std::deque<bool> expected;  // one per forwarded command, in order: true = drop its reply
  bool stop_forwarding = false;  // a command whose reply is to be dropped went out
  bool closing = false;          // close once to_client is written
  bool is_closed = false;
};

namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is there; false at EOF or on an error.
bool read_some(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// Writes what the socket takes; false on an error.
bool write_some(int fd, std::string& from) {
  while (!from.empty()) {
    const ssize_t n = ::send(fd, from.data(), from.size(), MSG_NOSIGNAL);
    if (n > 0) {
      from.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

}  // namespace

namespace {
// A listening socket on 127.0.0.1:port (0: any free port).
int open_listener(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("redis proxy: socket failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("redis proxy: bind/listen on port " + std::to_string(port) + " failed: " + why);
  }
  set_nonblocking(fd);
  return fd;
}
}  // namespace

redis_proxy::redis_proxy(int upstream_port, bool resp_framing)
    : upstream_port_(upstream_port), resp_framing_(resp_framing) {
  listen_fd_ = open_listener(0);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  is_listening_ = true;
  if (::pipe(wake_pipe_) != 0) throw std::runtime_error("redis proxy: pipe failed");
  thread_ = std::thread([this] { run(); });
}

void redis_proxy::refuse_connections() {
  want_listening_ = false;
  const char c = 'r';
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &c, 1);
  while (is_listening_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void redis_proxy::accept_connections() {
  want_listening_ = true;
  const char c = 'a';
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &c, 1);
  while (!is_listening_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// On the proxy thread: the listening state the caller asked for. While refusing, the old socket
// stays bound but out of LISTEN (shutdown() on a Linux listener: connects to it are refused), so
// no connect() can take the port as its ephemeral one meanwhile; a new listener binds beside it
// (both SO_REUSEADDR) before it is closed.
void redis_proxy::apply_listening() {
  if (!want_listening_ && is_listening_) {
    ::shutdown(listen_fd_, SHUT_RDWR);
    for (link* l : links_) l->is_closed = true;
    is_listening_ = false;
  } else if (want_listening_ && !is_listening_) {
    const int fresh = open_listener(port_);
    ::close(listen_fd_);
    listen_fd_ = fresh;
    is_listening_ = true;
  }
}

redis_proxy::~redis_proxy() {
  stopping_ = true;
  const char c = 'x';
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &c, 1);
  if (thread_.joinable()) thread_.join();
  for (link* l : links_) {
    if (l->client_fd >= 0) ::close(l->client_fd);
    if (l->server_fd >= 0) ::close(l->server_fd);
    delete l;
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void redis_proxy::drop_replies(command_matcher match, int times) {
  std::lock_guard lock(mutex_);
  matcher_ = std::move(match);
  armed_ = times;
  matched_ = 0;
}

int redis_proxy::armed() const {
  std::lock_guard lock(mutex_);
  return armed_;
}

void redis_proxy::accept_one() {
  for (;;) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    ++accepted_;
    // Connected synchronously: loopback answers at once, and a refused upstream (Redis down)
    // becomes a connection the proxy closes at once, as close to "refused" as a proxy can be.
    const int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
    if (up < 0 || ::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (up >= 0) ::close(up);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(fd);
    set_nonblocking(up);
    auto* l = new link;
    l->client_fd = fd;
    l->server_fd = up;
    links_.push_back(l);
  }
}

// Client bytes in: whole commands go to the server, each noted with what to do with its reply.
bool redis_proxy::pump_client(link& l) {
  if (!read_some(l.client_fd, l.from_client)) return false;
  if (!resp_framing_) {
    l.to_server += l.from_client;
    l.from_client.clear();
    return true;
  }
  if (l.stop_forwarding) {
    l.from_client.clear();  // behind the dropped command: never run
    return true;
  }
  std::size_t used = 0;
  while (used < l.from_client.size()) {
    const std::string_view rest = std::string_view(l.from_client).substr(used);
    const frame f = resp_frame(rest);
    if (f.status == frame_status::incomplete) break;
    if (f.status == frame_status::invalid) return false;
    const std::string_view command = rest.substr(0, f.length);
    bool drop = false;
    {
      std::lock_guard lock(mutex_);
      if (matcher_ && matcher_(resp_command_args(command))) {
        ++matched_;
        if (armed_ > 0) {
          --armed_;
          drop = true;
        }
      }
    }
    l.to_server.append(command);
    l.expected.push_back(drop);
    ++forwarded_;
    used += f.length;
    if (drop) {
      l.stop_forwarding = true;
      used = l.from_client.size();
      break;
    }
  }
  l.from_client.erase(0, used);
  return true;
}

// Server bytes in: replies go to the client, except the one to drop, after which the link closes.
bool redis_proxy::pump_server(link& l) {
  const bool open = read_some(l.server_fd, l.from_server);
  if (!resp_framing_) {
    l.to_client += l.from_server;
    l.from_server.clear();
    if (!open) l.closing = true;
    return true;
  }
  std::size_t used = 0;
  while (!l.closing && used < l.from_server.size()) {
    const std::string_view rest = std::string_view(l.from_server).substr(used);
    const frame f = resp_frame(rest);
    if (f.status == frame_status::incomplete) break;
    if (f.status == frame_status::invalid) return false;
    const bool drop = !l.expected.empty() && l.expected.front();
    if (!l.expected.empty()) l.expected.pop_front();
    if (drop) {
      ++dropped_;
      l.closing = true;
    } else {
      l.to_client.append(rest.substr(0, f.length));
    }
    used += f.length;
  }
  l.from_server.erase(0, l.closing ? l.from_server.size() : used);
  if (!open) l.closing = true;  // the server went away: deliver what came, then close
  return true;
}

void redis_proxy::run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    apply_listening();
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, static_cast<short>(is_listening_ ? POLLIN : 0), 0});
    for (link* l : links_) {
      fds.push_back({l->client_fd, static_cast<short>((l->closing ? 0 : POLLIN) | (l->to_client.empty() ? 0 : POLLOUT)), 0});
      fds.push_back({l->server_fd, static_cast<short>((l->closing ? 0 : POLLIN) | (l->to_server.empty() ? 0 : POLLOUT)), 0});
    }
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if (stopping_) break;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      [[maybe_unused]] auto ignored = ::read(wake_pipe_[0], drain, sizeof drain);
    }
    apply_listening();
    if (is_listening_ && (fds[1].revents & POLLIN)) accept_one();
    for (std::size_t i = 0; i < links_.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
      link& l = *links_[i];
      if (l.is_closed) continue;
      const short cev = fds[2 + 2 * i].revents, sev = fds[2 + 2 * i + 1].revents;
      bool ok = true;
      if (ok && (sev & (POLLIN | POLLHUP | POLLERR))) ok = pump_server(l);
      if (ok && !l.closing && (cev & (POLLIN | POLLHUP | POLLERR))) ok = pump_client(l);
      if (ok && !l.to_server.empty()) ok = write_some(l.server_fd, l.to_server);
      if (ok && !l.to_client.empty()) ok = write_some(l.client_fd, l.to_client);
      if (!ok || (l.closing && l.to_client.empty())) l.is_closed = true;
    }
    for (auto it = links_.begin(); it != links_.end();) {
      if ((*it)->is_closed) {
        ::close((*it)->client_fd);
        ::close((*it)->server_fd);
        delete *it;
        it = links_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace herald::chaos
