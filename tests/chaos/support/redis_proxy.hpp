#pragma once
// A TCP proxy between Herald and Redis that can lose one reply on purpose: the command ran on the
// server, the client never hears its answer (docs/reliability.md, "Redis"). Loopback only; one
// thread with poll() in the test process.
//
// Armed with a matcher, the proxy forwards client commands one whole RESP frame at a time. The
// first command that matches is forwarded, the server's reply to it (found by counting replies
// against the commands forwarded on that connection) is read and thrown away, the replies before
// it are delivered, and then both sides of that connection are closed. Commands the client
// pipelined behind the matching one are never forwarded: they did not run. So exactly one command
// "ran with its reply lost", which is what a connection reset between Redis and a pod does.
//
// Without RESP framing it forwards raw bytes (a gateway's TLS, in front of the simulator), and in
// either mode it can refuse connections for a while: the listening socket is closed (a connect
// gets ECONNREFUSED, as from a stopped server) and open links are cut, then it listens again on
// the same port.
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace herald::chaos {

// --- RESP framing (pure, unit-tested) -------------------------------------------------------
enum class frame_status { complete, incomplete, invalid };

struct frame {
  frame_status status = frame_status::incomplete;
  std::size_t length = 0;  // complete: bytes of the first value in the input
};

// The extent of the first RESP2/RESP3 value at the start of `data`: simple strings, errors,
// integers, bulk strings (and nil), arrays (and nil arrays), and RESP3's null, boolean, double,
// big number, verbatim, blob error, map, set, attribute and push types. Nesting is walked without
// recursion. Inline commands (no leading type byte) are `invalid`: Herald never sends them.
frame resp_frame(std::string_view data);

// The arguments of a complete client command frame (an array of bulk strings), or an empty
// vector when the frame is not one. The views point into `command_frame`.
std::vector<std::string_view> resp_command_args(std::string_view command_frame);

using command_matcher = std::function<bool(const std::vector<std::string_view>& args)>;

// Matches EVALSHA <sha1> ... and EVAL <text> ... of one Lua script (names case-insensitive, the
// SHA1 compared without regard to case).
command_matcher script_matcher(std::string script_text);
// Matches a command by its name (case-insensitive), e.g. "SET".
command_matcher name_matcher(std::string name);

// Lowercase hex SHA-1, as Redis names scripts.
std::string sha1_hex(std::string_view text);

// --- The proxy ------------------------------------------------------------------------------
class redis_proxy {
 public:
  // Listens on 127.0.0.1 (an ephemeral port) and connects each client to upstream_port there.
  explicit redis_proxy(int upstream_port, bool resp_framing = true);
  ~redis_proxy();
  redis_proxy(const redis_proxy&) = delete;
  redis_proxy& operator=(const redis_proxy&) = delete;

  int port() const { return port_; }

  // The next `times` commands (over all connections) that match lose their reply, one per
  // connection (the connection closes at the first).
  void drop_replies(command_matcher match, int times = 1);
  // Replies dropped so far.
  int dropped() const { return dropped_.load(); }
  // Drops still armed.
  int armed() const;
  // Commands forwarded that matched the matcher last given to drop_replies (armed or not): how
  // often the client ran the command at all.
  long matched_commands() const { return matched_.load(); }
  long connections_accepted() const { return accepted_.load(); }
  long commands_forwarded() const { return forwarded_.load(); }

  // Stops listening and cuts every open link; returns once done.
  void refuse_connections();
  // Listens again on the same port; returns once it does.
  void accept_connections();

 private:
  struct link;
  void run();
  void accept_one();
  void apply_listening();
  bool pump_client(link& l);
  bool pump_server(link& l);

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  int upstream_port_ = 0;
  bool resp_framing_ = true;
  std::atomic<bool> want_listening_{true};
  std::atomic<bool> is_listening_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> dropped_{0};
  std::atomic<long> matched_{0};
  std::atomic<long> accepted_{0};
  std::atomic<long> forwarded_{0};
  mutable std::mutex mutex_;  // guards matcher_ and armed_
  command_matcher matcher_;
  int armed_ = 0;
  std::vector<link*> links_;  // owned; only the proxy thread touches them
  std::thread thread_;
};

}  // namespace herald::chaos
