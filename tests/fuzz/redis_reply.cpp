// libFuzzer target: the Redis reply reader (redis::reply_reader over hiredis), fed the input in
// pieces whose sizes the first byte picks, as reads from a socket arrive. Every reply is described
// (a walk over its elements); a protocol error resets the reader, as a new connection does.
#include "fuzz/fuzz_support.hpp"
#include "herald/redis/reply.hpp"
#include "herald/redis/reply_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  fuzz::input in(data, size);
  const std::size_t piece = 1 + in.byte() % 64;
  std::string_view bytes = in.rest();
  redis::reply_reader reader;
  redis::reply r;
  while (!bytes.empty()) {
    const std::size_t n = std::min(piece, bytes.size());
    reader.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
    for (;;) {
      const auto st = reader.next(r);
      if (st == redis::reply_reader::status::reply) {
        (void)redis::describe(r);
        continue;
      }
      if (st == redis::reply_reader::status::protocol_error) {
        (void)reader.error();
        reader.reset();
      }
      break;
    }
  }
  return 0;
}
