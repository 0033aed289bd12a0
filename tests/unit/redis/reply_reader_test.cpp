#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "herald/redis/reply_reader.hpp"

using herald::redis::reply;
using herald::redis::reply_reader;
using status = reply_reader::status;
using namespace std::string_literals;

namespace {

// Feeds `bytes` at once and returns every complete reply (failing the test on a protocol error).
std::vector<reply> read_all(reply_reader& reader, std::string_view bytes) {
  reader.feed(bytes);
  std::vector<reply> out;
  reply r;
  for (;;) {
    const auto s = reader.next(r);
    REQUIRE(s != status::protocol_error);
    if (s == status::incomplete) break;
    out.push_back(std::move(r));
  }
  return out;
}

reply read_one(std::string_view bytes) {
  reply_reader reader;
  auto replies = read_all(reader, bytes);
  REQUIRE(replies.size() == 1);
  return std::move(replies.front());
}

}  // namespace

TEST_CASE("a bulk string reply is read byte for byte, CR/LF and NUL included") {
  const auto r = read_one("$8\r\na\r\nb\0c\xe7\x9f\r\n"s);
  CHECK(r.kind == reply::type::string);
  CHECK(r.str == "a\r\nb\0c\xe7\x9f"s);
  CHECK_FALSE(r.is_error());
}

TEST_CASE("an empty bulk string is a string, a null bulk string is nil") {
  CHECK(read_one("$0\r\n\r\n").kind == reply::type::string);
  CHECK(read_one("$0\r\n\r\n").str.empty());
  CHECK(read_one("$-1\r\n").is_nil());
}

TEST_CASE("status, integer and error replies") {
  const auto ok = read_one("+OK\r\n");
  CHECK(ok.kind == reply::type::status);
  CHECK(ok.str == "OK");

  const auto number = read_one(":-9223372036854775808\r\n");
  CHECK(number.kind == reply::type::integer);
  CHECK(number.integer == std::numeric_limits<long long>::min());
  CHECK(read_one(":42\r\n").integer == 42);

  const auto err = read_one("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(err.is_error());
  CHECK(err.error_code() == "WRONGTYPE");
  CHECK(err.str == "WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(ok.error_code().empty());
}

TEST_CASE("a NOSCRIPT error reply is recognised, other errors and strings are not") {
  CHECK(is_noscript(read_one("-NOSCRIPT No matching script. Please use EVAL.\r\n")));
  CHECK_FALSE(is_noscript(read_one("-ERR unknown command\r\n")));
  CHECK_FALSE(is_noscript(read_one("$8\r\nNOSCRIPT\r\n")));
  CHECK_FALSE(is_noscript(read_one("+NOSCRIPT\r\n")));
}

TEST_CASE("nested arrays keep their shape, including empty and null arrays and nil elements") {
  const auto r = read_one(
      "*5\r\n"
      ":1\r\n"
      "*2\r\n$1\r\na\r\n*1\r\n+deep\r\n"
      "*0\r\n"
      "*-1\r\n"
      "$-1\r\n");
  REQUIRE(r.kind == reply::type::array);
  REQUIRE(r.elements.size() == 5);
  CHECK(r.elements[0].integer == 1);
  REQUIRE(r.elements[1].kind == reply::type::array);
  REQUIRE(r.elements[1].elements.size() == 2);
  CHECK(r.elements[1].elements[0].str == "a");
  REQUIRE(r.elements[1].elements[1].elements.size() == 1);
  CHECK(r.elements[1].elements[1].elements[0].kind == reply::type::status);
  CHECK(r.elements[1].elements[1].elements[0].str == "deep");
  CHECK(r.elements[2].kind == reply::type::array);
  CHECK(r.elements[2].elements.empty());
  CHECK(r.elements[3].is_nil());
  CHECK(r.elements[4].is_nil());
  CHECK(describe(r) == "[(integer) 1, [\"a\", [deep]], [], (nil), (nil)]");
}

TEST_CASE("an array may hold error replies (as EXEC and Lua scripts return them)") {
  const auto r = read_one("*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n");
  REQUIRE(r.elements.size() == 2);
  CHECK_FALSE(r.is_error());
  CHECK(r.elements[1].is_error());
  CHECK(r.elements[1].error_code() == "ERR");
}

TEST_CASE("several pipelined replies in one read come out in order") {
  reply_reader reader;
  const auto replies = read_all(reader, "+OK\r\n$3\r\nbar\r\n:7\r\n-ERR no\r\n$-1\r\n");
  REQUIRE(replies.size() == 5);
  CHECK(replies[0].str == "OK");
  CHECK(replies[1].str == "bar");
  CHECK(replies[2].integer == 7);
  CHECK(replies[3].is_error());
  CHECK(replies[4].is_nil());
}

TEST_CASE("replies split across feeds at every possible byte are reassembled") {
  const std::string stream =
      "*3\r\n$5\r\nhello\r\n*2\r\n:12\r\n$-1\r\n-ERR x\r\n"
      "+PONG\r\n"
      "$11\r\nsplit\r\nhere\r\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    reply_reader reader;
    auto replies = read_all(reader, std::string_view(stream).substr(0, cut));
    auto rest = read_all(reader, std::string_view(stream).substr(cut));
    replies.insert(replies.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
    REQUIRE(replies.size() == 3);
    CHECK(describe(replies[0]) == "[\"hello\", [(integer) 12, (nil)], (error) ERR x]");
    CHECK(replies[1].str == "PONG");
    CHECK(replies[2].str == "split\r\nhere");
  }
}

TEST_CASE("a reply fed one byte at a time is reported incomplete until its last byte") {
  const std::string stream = "*2\r\n$3\r\nabc\r\n:5\r\n";
  reply_reader reader;
  reply r;
  for (std::size_t i = 0; i + 1 < stream.size(); ++i) {
    reader.feed(std::string_view(stream).substr(i, 1));
    REQUIRE(reader.next(r) == status::incomplete);
  }
  reader.feed(std::string_view(stream).substr(stream.size() - 1));
  REQUIRE(reader.next(r) == status::reply);
  CHECK(describe(r) == "[\"abc\", (integer) 5]");
  CHECK(reader.next(r) == status::incomplete);
}

TEST_CASE("a large bulk string arriving in many pieces is read whole") {
  const std::string value(300000, 'v');
  const std::string stream = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n:1\r\n";
  reply_reader reader;
  std::vector<reply> replies;
  for (std::size_t at = 0; at < stream.size(); at += 4096) {
    auto got = read_all(reader, std::string_view(stream).substr(at, 4096));
    for (auto& g : got) replies.push_back(std::move(g));
  }
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].str == value);
  CHECK(replies[1].integer == 1);
}

TEST_CASE("reusing the output reply gives the same results") {
  reply_reader reader;
  reader.feed("*2\r\n$20\r\n01234567890123456789\r\n:1\r\n$25\r\nabcdefghijklmnopqrstuvwxy\r\n:3\r\n");
  reply r;
  REQUIRE(reader.next(r) == status::reply);
  CHECK(describe(r) == "[\"01234567890123456789\", (integer) 1]");
  REQUIRE(reader.next(r) == status::reply);
  CHECK(r.kind == reply::type::string);
  CHECK(r.str == "abcdefghijklmnopqrstuvwxy");
  CHECK(r.elements.empty());
  REQUIRE(reader.next(r) == status::reply);
  CHECK(r.kind == reply::type::integer);
  CHECK(r.str.empty());
  CHECK(r.integer == 3);
}

TEST_CASE("a bad type byte is a protocol error that sticks until reset") {
  reply_reader reader;
  reply r;
  reader.feed("+OK\r\n!oops\r\n");
  REQUIRE(reader.next(r) == status::reply);
  CHECK(reader.next(r) == status::protocol_error);
  CHECK(reader.error().find("Protocol error") != std::string::npos);
  reader.feed("+OK\r\n");
  CHECK(reader.next(r) == status::protocol_error);

  reader.reset();
  reader.feed("+OK\r\n");
  REQUIRE(reader.next(r) == status::reply);
  CHECK(r.str == "OK");
}

TEST_CASE("a bad integer or length is a protocol error, also inside a partly read array") {
  reply_reader a;
  reply r;
  a.feed(":12x\r\n");
  CHECK(a.next(r) == status::protocol_error);

  reply_reader b;
  b.feed("*3\r\n$1\r\na\r\n$zz\r\n");
  CHECK(b.next(r) == status::protocol_error);
}

TEST_CASE("reset drops a partly read reply") {
  reply_reader reader;
  reply r;
  reader.feed("*2\r\n$3\r\nabc\r\n");
  REQUIRE(reader.next(r) == status::incomplete);
  reader.reset();
  reader.feed(":9\r\n");
  REQUIRE(reader.next(r) == status::reply);
  CHECK(r.integer == 9);
}

TEST_CASE("array headers adding up to more than Herald reads are refused before anything is allocated") {
  // 13 bytes that would have sized an array of a billion replies (the fuzzer's first find).
  reply_reader reader;
  reply r;
  reader.feed("*1000000000\r\n");
  CHECK(reader.next(r) == status::protocol_error);
  CHECK(reader.error() ==
        "Protocol error: a reply whose arrays hold more than 1048576 elements (Herald's limit; an array of "
        "1000000000 made it 1000000000)");
  // Nested, too; and a reset reader reads again, with hiredis's own errors as before.
  reader.reset();
  reader.feed("*2\r\n:1\r\n*1048577\r\n");
  CHECK(reader.next(r) == status::protocol_error);
  reader.reset();
  reader.feed("*2\r\n:1\r\n:2\r\n!x\r\n");
  REQUIRE(reader.next(r) == status::reply);
  CHECK(r.elements.size() == 2);
  CHECK(reader.next(r) == status::protocol_error);
  CHECK(reader.error().starts_with("Protocol error, got \"!\""));
  // At the limit an array is read.
  reply_reader at_limit;
  std::string big = "*1048576\r\n";
  for (int i = 0; i < 1048576; ++i) big += ":1\r\n";
  at_limit.feed(big);
  REQUIRE(at_limit.next(r) == status::reply);
  CHECK(r.elements.size() == 1048576);
  // The limit is the whole reply's: arrays of ten bytes each could not add up to more either.
  reply_reader siblings;
  std::string two = "*2\r\n*700000\r\n";
  for (int i = 0; i < 700000; ++i) two += ":1\r\n";
  siblings.feed(two + "*700000\r\n");
  CHECK(siblings.next(r) == status::protocol_error);
  CHECK(siblings.error().find("an array of 700000 made it 1400002") != std::string::npos);
  // Each reply has the whole budget: the count starts again with the next one.
  reply_reader one_after_another;
  std::string half = "*600000\r\n";
  for (int i = 0; i < 600000; ++i) half += ":1\r\n";
  one_after_another.feed(half + half);
  REQUIRE(one_after_another.next(r) == status::reply);
  REQUIRE(one_after_another.next(r) == status::reply);
  CHECK(r.elements.size() == 600000);
}

TEST_CASE("arrays nested deeper than hiredis reads are a protocol error, not a deep recursion") {
  reply_reader reader;
  reply r;
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  reader.feed(deep);
  CHECK(reader.next(r) == status::protocol_error);
  CHECK(reader.error().find("nested multi bulk") != std::string::npos);
}
