#include "herald/redis/reply_reader.hpp"

#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include <hiredis/read.h>

namespace herald::redis {

// hiredis calls these while it parses. A task's object is the `reply` it fills: the reader's root
// slot for a top-level reply (privdata points at the context that holds it), else element `idx`
// of the parent array, which createArray has already sized. So a reply is built in place, without
// a redisReply.
namespace {

struct reader_context {
  reply root;                   // the top-level reply being parsed
  std::string refusal;          // why a callback refused the reply ("" = hiredis's own error, if any)
  std::int64_t elements = 0;    // in the arrays of the reply being parsed, so far
};

// An array is sized from its header before any element arrives: "*1000000000\r\n" would have
// 13 bytes make gigabytes of empty replies, and so would many arrays of a million, ten bytes
// each, inside one. So the elements of one reply's arrays together are bounded. Herald's largest
// replies (a script's per-batch arrays, pipelined HSETs' answers) have a few hundred.
constexpr std::int64_t max_reply_elements = 1 << 20;

reply* slot_for(const redisReadTask* task) {
  if (task->parent == nullptr) return &static_cast<reader_context*>(task->privdata)->root;
  auto* parent = static_cast<reply*>(task->parent->obj);
  return &parent->elements[static_cast<std::size_t>(task->idx)];
}

void set_kind(reply& r, reply::type kind) {
  r.kind = kind;
  r.integer = 0;
  r.elements.clear();
}

// Returning nullptr makes hiredis report "Out of memory": exceptions must not cross C code.
void* create_string(const redisReadTask* task, char* data, size_t length) {
  try {
    reply* r = slot_for(task);
    set_kind(*r, task->type == REDIS_REPLY_ERROR    ? reply::type::error
                 : task->type == REDIS_REPLY_STATUS ? reply::type::status
                                                    : reply::type::string);
    r->str.assign(data, length);
    return r;
  } catch (const std::exception&) {
    return nullptr;
  }
}

void* create_array(const redisReadTask* task, int elements) {
  auto* context = static_cast<reader_context*>(task->privdata);
  context->elements += elements;
  if (context->elements > max_reply_elements) {
    context->refusal = "Protocol error: a reply whose arrays hold more than " + std::to_string(max_reply_elements) +
                       " elements (Herald's limit; an array of " + std::to_string(elements) + " made it " +
                       std::to_string(context->elements) + ")";
    return nullptr;
  }
  try {
    reply* r = slot_for(task);
    set_kind(*r, reply::type::array);
    r->str.clear();
    r->elements.resize(static_cast<std::size_t>(elements));
    return r;
  } catch (const std::exception&) {
    return nullptr;
  }
}

void* create_integer(const redisReadTask* task, long long value) {
  reply* r = slot_for(task);
  set_kind(*r, reply::type::integer);
  r->str.clear();
  r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  reply* r = slot_for(task);
  set_kind(*r, reply::type::nil);
  r->str.clear();
  return r;
}

// Only ever called with the root slot (a partly built reply on error, or on free): it is owned
// by reply_reader, so there is nothing to free; clearing drops the partial contents.
void free_object(void* object) {
  auto* r = static_cast<reply*>(object);
  set_kind(*r, reply::type::nil);
  r->str.clear();
}

redisReplyObjectFunctions reply_functions{
    .createString = create_string,
    .createArray = create_array,
    .createInteger = create_integer,
    .createNil = create_nil,
    .freeObject = free_object,
};

// hiredis frees its buffer when it is empty and has more than this spare: keep a buffer big
// enough for a typical read, so steady-state reading does not reallocate.
constexpr size_t reader_max_idle_buffer = 64 * 1024;

}  // namespace

struct reply_reader::state {
  redisReader* reader = nullptr;
  reader_context context;  // hiredis's privdata

  void open() {
    reader = redisReaderCreateWithFunctions(&reply_functions);
    if (reader == nullptr) throw std::bad_alloc();
    context.refusal.clear();
    context.elements = 0;
    reader->privdata = &context;
    reader->maxbuf = reader_max_idle_buffer;
  }
  void close() noexcept {
    redisReaderFree(reader);
    reader = nullptr;
  }
};

reply_reader::reply_reader() : state_(std::make_unique<state>()) { state_->open(); }

reply_reader::~reply_reader() { state_->close(); }

void reply_reader::feed(std::string_view bytes) {
  // On failure (out of memory, or already in error) hiredis sets its error; next() reports it.
  (void)redisReaderFeed(state_->reader, bytes.data(), bytes.size());
}

reply_reader::status reply_reader::next(reply& out) {
  void* object = nullptr;
  if (redisReaderGetReply(state_->reader, &object) != REDIS_OK) return status::protocol_error;
  if (object == nullptr) return status::incomplete;
  using std::swap;
  swap(out, state_->context.root);  // out's old buffers become the slot for the next reply
  state_->context.elements = 0;
  return status::reply;
}

std::string reply_reader::error() const {
  if (!state_->context.refusal.empty()) return state_->context.refusal;
  return state_->reader->errstr;
}

void reply_reader::reset() {
  state_->close();
  state_->open();
}

}  // namespace herald::redis
