#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/dedicated_services.hpp"

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

namespace herald::chaos {
using namespace std::chrono_literals;

// --- Scale ----------------------------------------------------------------------------------

bool is_long_scale() {
  static const bool value = [] {
    const std::string s = test::env_or("HERALD_CHAOS_SCALE", "short");
    if (s != "short" && s != "long")
      throw std::runtime_error("HERALD_CHAOS_SCALE must be short or long, not " + s);
    return s == "long";
  }();
  return value;
}
const char* scale_name() { return is_long_scale() ? "long" : "short"; }

std::mt19937_64 seeded_rng(const std::string& scenario) {
  const std::string given = test::env_or("HERALD_CHAOS_SEED", "");
  const std::uint64_t seed =
      given.empty() ? static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())
                    : std::stoull(given);
  std::cerr << "[chaos] " << scenario << ": scale " << scale_name() << ", seed " << seed
            << " (HERALD_CHAOS_SEED=" << seed << " repeats it)\n";
  // Through a seed_seq: mt19937_64's first outputs barely differ for seeds that differ only in
  // their low bits (two clock seeds a minute apart drew the same first kill moment).
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  return std::mt19937_64(seq);
}

std::string to_string(const source_ref& s) {
  return s.topic + "/" + std::to_string(s.partition) + "@" + std::to_string(s.offset);
}

std::vector<source_ref> as_sources(const std::string& topic,
                                   const std::vector<std::pair<std::int32_t, std::int64_t>>& produced) {
  std::vector<source_ref> out;
  out.reserve(produced.size());
  for (const auto& [p, o] : produced) out.push_back({topic, p, o});
  return out;
}

// --- Kafka clients ----------------------------------------------------------------------------

namespace {
rd_kafka_t* new_client(rd_kafka_type_t type, std::vector<std::pair<std::string, std::string>> props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  props.insert(props.begin(), {"bootstrap.servers", test::kafka_brokers()});
  for (auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka conf " + k + ": " + err);
    }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  return rk;
}

std::vector<std::int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  std::vector<std::int32_t> out;
  for (int attempt = 0; attempt < 20 && out.empty(); ++attempt) {
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && !md->topics[0].err)
        for (int i = 0; i < md->topics[0].partition_cnt; ++i) out.push_back(md->topics[0].partitions[i].id);
      rd_kafka_metadata_destroy(md);
    }
    if (out.empty()) std::this_thread::sleep_for(500ms);
  }
  rd_kafka_topic_destroy(rkt);
  if (out.empty()) throw std::runtime_error("no metadata for topic " + topic);
  std::sort(out.begin(), out.end());
  return out;
}

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : "";
}
}  // namespace

// --- The reader ------------------------------------------------------------------------------

struct outcome_reader::impl {
  rd_kafka_t* rk = nullptr;
  std::map<std::int32_t, bool> at_end;  // partition -> its end reported since its last record
  ~impl() {
    if (rk) {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }
};

outcome_reader::outcome_reader(const std::string& results_topic) : impl_(std::make_unique<impl>()) {
  // read_committed is librdkafka's default; set anyway: the promise is about what a
  // read_committed consumer sees, and the test must not depend on a default.
  impl_->rk = new_client(RD_KAFKA_CONSUMER, {{"group.id", test::unique_name("chaos-reader")},
                                             {"isolation.level", "read_committed"},
                                             {"auto.offset.reset", "earliest"},
                                             {"enable.auto.commit", "false"},
                                             {"enable.partition.eof", "true"},
                                             {"fetch.wait.max.ms", "100"}});
  rd_kafka_poll_set_consumer(impl_->rk);
  const auto parts = partitions_of(impl_->rk, results_topic);
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (auto p : parts) {
    rd_kafka_topic_partition_list_add(list, results_topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    impl_->at_end[p] = false;
  }
  // Assigned, not subscribed: no group join, reading starts at once.
  rd_kafka_assign(impl_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
}

outcome_reader::~outcome_reader() = default;

bool outcome_reader::read_to_end(std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  auto last_record = start;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const bool all_at_end =
        std::all_of(impl_->at_end.begin(), impl_->at_end.end(), [](const auto& kv) { return kv.second; });
    // The quiet time covers records committed just before this call that the fetcher has not
    // brought yet (fetch.wait.max.ms is 100 ms): an end reported earlier may be stale.
    if (all_at_end && now - start >= 400ms && now - last_record >= 250ms) return true;
    if (now >= deadline) return false;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      impl_->at_end[m->partition] = true;
    } else if (m->err) {
      std::cerr << "[chaos] results reader: " << rd_kafka_message_errstr(m) << "\n";
    } else {
      impl_->at_end[m->partition] = false;
      last_record = std::chrono::steady_clock::now();
      const std::string value(static_cast<const char*>(m->payload ? m->payload : ""), m->len);
      rapidjson::Document d;
      d.Parse(value.c_str(), value.size());
      const bool shaped = !d.HasParseError() && d.IsObject() && d.HasMember("source") && d["source"].IsObject() &&
                          d["source"].HasMember("partition") && d["source"]["partition"].IsInt() &&
                          d["source"].HasMember("offset") && d["source"]["offset"].IsInt64();
      if (!shaped) {
        unparsable_.push_back(value.substr(0, 300));
      } else {
        outcome o;
        o.source = {member(d["source"], "topic"), d["source"]["partition"].GetInt(), d["source"]["offset"].GetInt64()};
        o.status = member(d, "status");
        o.event_id = member(d, "event_id");
        o.account = member(d, "account");
        o.reason = member(d, "reason").substr(0, 160);
        o.outcome_class = member(d, "class");
        o.gateway_message_id = member(d, "gateway_message_id");
        o.result_partition = m->partition;
        o.result_offset = m->offset;
        outcomes_.push_back(std::move(o));
      }
    }
    rd_kafka_message_destroy(m);
  }
}

bool drain(outcome_reader& reader, const std::vector<source_ref>& produced, std::chrono::seconds deadline,
           const std::string& label) {
  const std::set<source_ref> wanted(produced.begin(), produced.end());
  std::set<source_ref> covered;
  std::size_t seen = 0;
  const auto start = std::chrono::steady_clock::now();
  auto next_print = start;
  for (;;) {
    reader.read_to_end(10s);
    const auto& all = reader.outcomes();
    for (; seen < all.size(); ++seen)
      if (wanted.count(all[seen].source)) covered.insert(all[seen].source);
    const auto now = std::chrono::steady_clock::now();
    const bool done = covered.size() == wanted.size();
    if (done || now >= start + deadline || now >= next_print) {
      std::cerr << "[chaos] " << label << ": " << covered.size() << "/" << wanted.size() << " records have an outcome ("
                << all.size() << " outcomes) after "
                << std::chrono::duration_cast<std::chrono::seconds>(now - start).count() << " s\n";
      next_print = now + 10s;
    }
    if (done) return true;
    if (now >= start + deadline) return false;
    std::this_thread::sleep_for(500ms);
  }
}

// --- Simulator --------------------------------------------------------------------------------

long sim_number(gateway_simulator& sim, const char* name) {
  std::string stats;
  try {
    stats = sim.get("/_sim/stats");
  } catch (const std::exception& e) {
    std::cerr << "[chaos] simulator stats: " << e.what() << "\n";
    return -1;
  }
  rapidjson::Document d;
  d.Parse(stats.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(name) || !d[name].IsInt64()) return -1;
  return d[name].GetInt64();
}

bool wait_for_calls(gateway_simulator& sim, long above, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (sim_number(sim, "requests") > above) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// --- Offsets ------------------------------------------------------------------------------------

offsets end_offsets(const std::string& topic) {
  rd_kafka_t* rk = new_client(RD_KAFKA_CONSUMER, {{"group.id", test::unique_name("chaos-wm")}});
  offsets out;
  try {
    for (auto p : partitions_of(rk, topic)) {
      int64_t lo = -1, hi = -1;
      auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
      if (err) throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(err));
      out[p] = hi;
    }
  } catch (...) {
    rd_kafka_destroy(rk);
    throw;
  }
  rd_kafka_destroy(rk);
  return out;
}

offsets committed_offsets(const std::string& group, const std::string& topic) {
  // Never subscribes, so it never joins the group; auto-commit off so it never writes an offset.
  rd_kafka_t* rk = new_client(RD_KAFKA_CONSUMER, {{"group.id", group}, {"enable.auto.commit", "false"}});
  offsets out;
  try {
    const auto parts = partitions_of(rk, topic);
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
    for (auto p : parts) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    auto err = rd_kafka_committed(rk, list, 10000);
    if (err) {
      rd_kafka_topic_partition_list_destroy(list);
      throw std::runtime_error("committed offsets of " + group + ": " + rd_kafka_err2str(err));
    }
    for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(list);
  } catch (...) {
    rd_kafka_destroy(rk);
    throw;
  }
  rd_kafka_destroy(rk);
  return out;
}

// --- The checker ------------------------------------------------------------------------------

namespace {
std::string join_statuses(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}
}  // namespace

std::string check_report::summary(const std::string& label, long unknown_bound) const {
  std::ostringstream out;
  out << "==== chaos check: " << label << " (" << scale_name() << ") ====\n";
  out << "produced " << produced << ", outcomes " << outcomes << " (read_committed), records with an outcome "
      << covered << ", missing " << missing.size() << ", with more than one " << repeated.size()
      << ", outcomes naming no produced record " << foreign.size() << ", unparsable " << unparsable << "\n";
  out << "by status:";
  for (const auto& [s, n] : by_status) out << " " << s << "=" << n;
  out << "\n";
  const long unknown = by_status.count("unknown") ? by_status.at("unknown") : 0;
  out << "unknown " << unknown << " (bound " << unknown_bound << "); simulator duplicates " << sim_duplicates
      << ", accepted unique " << sim_accepted_unique << "\n";
  long extra = 0;
  for (const auto& r : repeated) extra += static_cast<long>(r.second.size()) - 1;
  if (!repeated.empty()) {
    out << "records with several outcomes (" << extra << " extra outcomes), e.g.:\n";
    for (std::size_t i = 0; i < repeated.size() && i < 5; ++i)
      out << "  " << to_string(repeated[i].first) << ": " << join_statuses(repeated[i].second) << "\n";
  }
  if (!missing.empty()) {
    out << "records without an outcome, e.g.:";
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) out << " " << to_string(missing[i]);
    out << "\n";
  }
  if (!foreign.empty()) {
    out << "outcomes naming no produced record, e.g.:";
    for (std::size_t i = 0; i < foreign.size() && i < 3; ++i)
      out << " " << to_string(foreign[i].source) << " (" << foreign[i].status << ")";
    out << "\n";
  }
  out << "committed/end offsets:";
  for (const auto& [p, e] : end) {
    const auto it = committed.find(p);
    out << " p" << p << "=" << (it == committed.end() ? -1 : it->second) << "/" << e;
  }
  out << "\n";
  if (failures.empty()) out << "RESULT: every promise held\n";
  else
    for (const auto& f : failures) out << "BROKEN: " << f << "\n";
  return out.str();
}

check_report check_promises(const check_input& in) {
  check_report r;
  r.produced = static_cast<long>(in.produced.size());

  // (e) first: the committed offsets may lag the last outcome a little.
  r.end = end_offsets(in.events_topic);
  const auto commit_deadline = std::chrono::steady_clock::now() + in.commit_wait;
  for (;;) {
    r.committed = committed_offsets(in.group, in.events_topic);
    bool all = true;
    for (const auto& [p, e] : r.end) all = all && r.committed.count(p) && (r.committed[p] == e || (e == 0 && r.committed[p] < 0));
    if (all || std::chrono::steady_clock::now() >= commit_deadline) break;
    std::this_thread::sleep_for(500ms);
  }

  // (b), (c): a fresh read_committed reader sees the whole topic.
  outcome_reader reader(in.results_topic);
  if (!reader.read_to_end(60s)) r.failures.push_back("the results topic could not be read to its end within 60 s");
  r.unparsable = static_cast<long>(reader.unparsable().size());
  std::map<source_ref, std::vector<std::string>> per_source;
  for (const auto& s : in.produced) per_source[s];
  for (const auto& o : reader.outcomes()) {
    ++r.outcomes;
    ++r.by_status[o.status];
    auto it = per_source.find(o.source);
    if (it == per_source.end()) r.foreign.push_back(o);
    else it->second.push_back(o.status);
  }
  for (const auto& [s, statuses] : per_source) {
    if (statuses.empty()) r.missing.push_back(s);
    else ++r.covered;
    if (statuses.size() > 1) r.repeated.emplace_back(s, statuses);
  }

  // (a) and the simulator's view of what was sent.
  if (in.sim) {
    r.sim_duplicates = sim_number(*in.sim, "duplicates");
    r.sim_accepted_unique = sim_number(*in.sim, "accepted_unique");
  }

  auto fail = [&](std::string s) { r.failures.push_back(std::move(s)); };
  if (!in.sim) fail("no simulator given: duplicate sends cannot be checked");
  else if (r.sim_duplicates != 0)
    fail("(a) zero duplicate sends: the simulator counted " + std::to_string(r.sim_duplicates) + " duplicate items");
  if (!r.repeated.empty() || !r.missing.empty() || !r.foreign.empty() || r.unparsable) {
    long extra = 0;
    for (const auto& x : r.repeated) extra += static_cast<long>(x.second.size()) - 1;
    fail("(b) exactly one committed outcome per record: " + std::to_string(r.repeated.size()) +
         " records have several (" + std::to_string(extra) + " extra outcomes), " + std::to_string(r.missing.size()) +
         " have none, " + std::to_string(r.foreign.size()) + " outcomes name no produced record, " +
         std::to_string(r.unparsable) + " are not outcome JSON");
  }
  static const std::set<std::string> known{"sent", "duplicate", "failed", "invalid", "rejected_quota", "unknown"};
  long sum = 0;
  for (const auto& [s, n] : r.by_status) {
    if (!known.count(s)) fail("(c) an outcome status outside the documented set: \"" + s + "\" x" + std::to_string(n));
    sum += n;
  }
  if (sum != r.produced)
    fail("(c) outcome counts add up: sent+duplicate+failed+invalid+rejected_quota+unknown = " + std::to_string(sum) +
         ", produced " + std::to_string(r.produced));
  const long unknown = r.by_status.count("unknown") ? r.by_status["unknown"] : 0;
  if (unknown > in.unknown_bound)
    fail("(d) unknown within the bound: " + std::to_string(unknown) + " unknown, bound " +
         std::to_string(in.unknown_bound));
  std::string lagging;
  for (const auto& [p, e] : r.end) {
    const std::int64_t c = r.committed.count(p) ? r.committed[p] : -1;
    if (!(c == e || (e == 0 && c < 0))) lagging += " p" + std::to_string(p) + "=" + std::to_string(c) + "/" + std::to_string(e);
  }
  if (!lagging.empty()) fail("(e) committed offsets = end offsets of " + in.events_topic + ":" + lagging);
  if (in.distinct_events) {
    const long sent = r.by_status.count("sent") ? r.by_status["sent"] : 0;
    const long dup = r.by_status.count("duplicate") ? r.by_status["duplicate"] : 0;
    if (dup)
      fail("(b) a sent notification always has a sent outcome: " + std::to_string(dup) +
           " distinct events were reported duplicate");
    if (in.sim && r.sim_accepted_unique >= 0 && (r.sim_accepted_unique < sent || r.sim_accepted_unique > sent + unknown))
      fail("(a/b) what the gateway accepted matches the outcomes: accepted " + std::to_string(r.sim_accepted_unique) +
           ", sent outcomes " + std::to_string(sent) + ", unknown " + std::to_string(unknown));
  }
  std::cerr << r.summary(in.label, in.unknown_bound);
  return r;
}

check_report require_promises(const check_input& in) {
  check_report r = check_promises(in);  // has printed the summary
  CHECK_MESSAGE(r.ok(), in.label, ": ", r.failures.size(), " promise(s) broken");
  for (const auto& f : r.failures) CHECK_MESSAGE(false, f);
  return r;
}

// --- The rig --------------------------------------------------------------------------------------

rig::rig(rig_options opt) : opt_(std::move(opt)) {
  events_ = test::unique_name(opt_.name + "-events");
  results_ = test::unique_name(opt_.name + "-outcomes");
  dlq_ = test::unique_name(opt_.name + "-dlq");
  group_ = test::unique_name(opt_.name + "-group");
  prefix_ = test::unique_name(opt_.name) + ":";
  secret_ = test::unique_name("chaos-secret");  // a test value, not a real secret
  // One secret table: fw199 appids, the TOP app key and the Alibaba Cloud AccessKeyId.
  sim_ = std::make_unique<gateway_simulator>(
      std::map<std::string, std::string>{{"app-tb", secret_}, {"app-dy", secret_}, {"top-app", secret_}, {"ak-chaos", secret_}},
      opt_.sim_args);
  test::create_topic(events_, opt_.event_partitions);
  test::create_topic(results_, opt_.result_partitions);
  test::create_topic(dlq_, 1);

  accounts_ = {{"tb", "fw199_taobao"}, {"dy", "fw199_douyin"},  {"top", "top_oaid"},
               {"ali-sms", "aliyun_sms"}, {"ali-batch", "aliyun_sms"}, {"ali-card", "aliyun_card"}};
  const std::string limits = R"(, "max_concurrent_calls": )" + std::to_string(opt_.max_concurrent_calls) +
                             R"(, "max_batch": )" + std::to_string(opt_.max_batch) +
                             R"(, "daily_limit": {"transactional": 1000, "marketing": 1000})";
  const std::string paced = opt_.batch_account_qps > 0
                                ? R"(, "rate_limit_qps": )" + std::to_string(opt_.batch_account_qps)
                                : std::string();
  // Missing receipts prove a send missing after 3 s, inside the 5 checks x 1 s of the retry section.
  const std::string receipts = R"(, "receipt_not_found_final_after_seconds": 3)" + paced;
  const std::string ali = R"("endpoint": ")" + sim_->url("/") +
                          R"(", "access_key_id": "ak-chaos", "access_key_secret": "${CHAOS_SECRET}")";
  const std::string accounts =
      R"({"tb": {"gateway": "fw199_taobao", "endpoint": ")" + sim_->url("/jst/sms/oaid/send") +
      R"(", "app_id": "app-tb", "app_secret": "${CHAOS_SECRET}", "seller_nick": "chaos-tb")" + limits + paced + R"(},
  "dy": {"gateway": "fw199_douyin", "endpoint": ")" + sim_->url("/gateway/dd/sms/send") +
      R"(", "app_id": "app-dy", "app_secret": "${CHAOS_SECRET}", "seller_nick": "chaos-dy")" + limits + paced + R"(},
  "top": {"gateway": "top_oaid", "endpoint": ")" + sim_->url("/router/rest") +
      R"(", "app_key": "top-app", "app_secret": "${CHAOS_SECRET}", "session": "chaos-session", "sign_method": "hmac")" +
      limits + R"(},
  "ali-sms": {"gateway": "aliyun_sms", )" + ali + limits + receipts + R"(},
  "ali-batch": {"gateway": "aliyun_sms", "use_batch_api": true, )" + ali + limits + receipts + R"(},
  "ali-card": {"gateway": "aliyun_card", "region_id": "cn-shanghai", )" + ali + limits + receipts + "}}";
  std::string sections = opt_.extra_sections.empty()
                             ? R"(  "retry": {"receipt_grace_ms": 1000, "max_receipt_checks": 5, "backoff_base_ms": 100, "backoff_cap_ms": 2000},
)"
                             : opt_.extra_sections;
  config_ = test::write_config(events_, results_, dlq_, group_, prefix_, accounts, sections, opt_.redis_port);
  if (opt_.http_request_timeout_ms != 3000) {
    // write_config fixes 3000 ms; a scenario asking for another value gets it patched in.
    std::ifstream in(config_);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string from = R"("request_timeout_ms": 3000)";
    text.replace(text.find(from), from.size(), R"("request_timeout_ms": )" + std::to_string(opt_.http_request_timeout_ms));
    std::ofstream(config_, std::ios::trunc) << text;
  }
}

std::vector<std::string> rig::events(int count, const std::string& tag) const {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const auto& [account, kind] = accounts_[static_cast<std::size_t>(i) % accounts_.size()];
    const std::string id = tag + "-" + std::to_string(i);
    // Distinct 11-digit numbers starting with 1 that never end in 0 (the simulator's "cannot show
    // a card" rule would otherwise make card fallbacks part of the picture), and distinct across
    // calls with different tags too (a tag picks where its run of numbers starts): a phone met in
    // two calls would share its daily counts.
    const std::uint64_t start = std::hash<std::string>{}(tag) % 90000000u;
    const std::string phone = "13" + std::to_string(10000000 + (start + static_cast<std::uint64_t>(i)) % 90000000u) + "1";
    std::string recipient;
    if (kind == "fw199_douyin") recipient = R"({"post_tel":")" + phone + R"("})";
    else if (kind == "aliyun_sms" || kind == "aliyun_card") recipient = R"({"phone":")" + phone + R"("})";
    else recipient = R"({"oaid":"oaid-)" + id + R"("})";
    std::string e = R"({"event_id":")" + id + R"(","account":")" + account + R"(","order_id":"o-)" + id +
                    R"(","recipient":)" + recipient + R"(,"sign_name":"HeraldChaos","template_code":")" +
                    (kind == "aliyun_card" ? "CARD_SMS_1" : "SMS_100") +
                    R"(","params":{"code":"1234"},"category":"transactional")";
    if (kind == "aliyun_card")
      e += R"(,"card":{"fallback_type":"SMS","fallback_template_code":"SMS_300","fallback_params":{"code":"1"}})";
    out.push_back(e + "}");
  }
  return out;
}

std::vector<source_ref> rig::produce_events(int count, const std::string& tag) {
  return as_sources(events_, test::produce(events_, events(count, tag)));
}

std::unique_ptr<child_process> rig::start_herald(const std::string& pod_name) const {
  // The broker's metadata trails CreateTopics by a moment; a Herald started inside it finds an
  // output topic unknown and stops (exit 3) before it does anything.
  REQUIRE_MESSAGE(wait_for_topics(test::kafka_brokers(), {events_, results_, dlq_, events_ + ".retry", events_ + ".delay"}, 30s),
                  "the rig's topics are not in the broker's metadata");
  return test::start_herald(config_, {{"CHAOS_SECRET", secret_}, {"POD_NAME", pod_name}});
}

long rig::unknown_bound_per_kill() const {
  long bound = 0;
  for (const auto& [account, kind] : accounts_) {
    if (kind == "fw199_taobao" || kind == "fw199_douyin") bound += opt_.max_concurrent_calls * opt_.max_batch;
    else if (kind == "top_oaid") bound += opt_.max_concurrent_calls * 1;
  }
  return bound;
}

check_input rig::check(const std::vector<source_ref>& produced, long unknown_bound, const std::string& label) {
  check_input in;
  in.label = label;
  in.events_topic = events_;
  in.produced = produced;
  in.results_topic = results_;
  in.group = group_;
  in.sim = sim_.get();
  in.unknown_bound = unknown_bound;
  return in;
}

int stop_gracefully(child_process& p, std::chrono::milliseconds timeout) {
  p.signal(SIGTERM);
  if (auto rc = p.wait(timeout)) return *rc;
  p.signal(SIGKILL);
  return p.wait(10s).value_or(-1);
}

}  // namespace herald::chaos
