#include "orchestrator/attacker.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>

#include "http/client.hpp"

namespace hookbench {
namespace {

std::string base64_of_random(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  RAND_bytes(raw.data(), static_cast<int>(bytes));
  std::string out(4 * ((bytes + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw.data(),
                                static_cast<int>(bytes));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

const std::vector<std::string>& attack_kinds() {
  static const std::vector<std::string> kinds{"forged", "tampered", "replayed", "expired",
                                              "unsigned"};
  return kinds;
}

attacker::attacker(attack_config config) : config_(std::move(config)) {}

attacker::~attacker() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void attacker::start() {
  thread_ = std::thread([this] { run(); });
}

nlohmann::json attacker::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  nlohmann::json sent = nlohmann::json::object(), answers = nlohmann::json::object();
  for (const auto& kind : attack_kinds()) sent[kind] = sent_[kind];
  for (const auto& [kind, by_status] : answers_) {
    for (const auto& [status, n] : by_status) answers[kind][std::to_string(status)] = n;
  }
  return {{"rate", config_.rate},        {"sent", sent},      {"answers", answers},
          {"accepted", accepted_},       {"failed", failed_}, {"failures", failures_},
          {"captured", captured_.size()}};
}

// New complete lines of the tap file since the last read.
void attacker::read_tap() {
  std::ifstream f(config_.tap_path, std::ios::binary);
  if (!f) return;
  f.seekg(static_cast<std::streamoff>(tap_offset_));
  std::string chunk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  tap_offset_ += chunk.size();
  tap_partial_ += chunk;
  std::size_t nl;
  while ((nl = tap_partial_.find('\n')) != std::string::npos) {
    auto j = nlohmann::json::parse(tap_partial_.substr(0, nl), nullptr, false);
    tap_partial_.erase(0, nl + 1);
    if (!j.is_object()) continue;
    captured c;
    c.path = j.value("path", "");
    c.id = j.value("webhook-id", "");
    c.timestamp = j.value("webhook-timestamp", "");
    c.signature = j.value("webhook-signature", "");
    c.body = j.value("body", "");
    if (!c.path.empty() && !c.body.empty()) captured_.push_back(std::move(c));
  }
}

void attacker::send_one(const std::string& kind) {
  // Without a capture yet there is nothing to replay or tamper with: forge instead.
  const std::string k = captured_.empty() ? "forged" : kind;
  http::client_request req;
  req.method = "POST";
  captured c = captured_.empty() ? captured{"/hook/0", "", "", "", "{}"} : captured_.back();
  req.target = c.path;
  req.body = c.body;
  auto sign_as = [&](const std::string& id, const std::string& ts, const std::string& sig) {
    req.headers.emplace_back("webhook-id", id);
    req.headers.emplace_back("webhook-timestamp", ts);
    req.headers.emplace_back("webhook-signature", sig);
  };
  if (k == "forged") {
    sign_as("msg_forged_" + std::to_string(++forged_ids_), std::to_string(unix_now()),
            "v1," + base64_of_random(32));
  } else if (k == "tampered") {
    // One byte changed: the first digit or letter from the middle on, so the body stays
    // well-formed JSON and only the signature can tell.
    std::size_t at = req.body.size() / 2;
    while (at < req.body.size() && !std::isalnum(static_cast<unsigned char>(req.body[at]))) ++at;
    if (at == req.body.size()) at = 0;
    req.body[at] = req.body[at] == '1' ? '2' : '1';
    sign_as(c.id, c.timestamp, c.signature);
  } else if (k == "replayed") {
    sign_as(c.id, c.timestamp, c.signature);
  } else if (k == "expired") {
    std::int64_t ts = unix_now();
    try {
      ts = std::stoll(c.timestamp);
    } catch (const std::exception&) {
    }
    sign_as(c.id, std::to_string(ts - 600), c.signature);
  }  // unsigned: no webhook-* header at all
  ++sent_[k];
  http::client_response res;
  const auto ec = http::fetch(config_.receiver, req, res, config_.request_timeout, config_.tls);
  if (ec) {
    ++failed_;
    ++failures_[http::describe(ec)];
    return;
  }
  ++answers_[k][res.status];
  if (res.status >= 200 && res.status < 300) ++accepted_;
}

void attacker::run() {
  const auto& kinds = attack_kinds();
  const nanos period = static_cast<nanos>(1e9 / config_.rate);
  nanos next = config_.start_ns;
  for (std::uint64_t i = 0; !stopping_; ++i) {
    // Sleep in short steps so that stop() is noticed within 50 ms.
    while (!stopping_ && now_ns() < next) {
      std::this_thread::sleep_for(
          std::chrono::nanoseconds(std::min<nanos>(next - now_ns(), 50 * kNanosPerMilli)));
    }
    if (stopping_ || next >= config_.end_ns) return;
    read_tap();
    send_one(kinds[i % kinds.size()]);
    next += period;
    // Behind schedule (a slow answer): skip the missed slots rather than burst.
    if (const nanos now = now_ns(); next < now) next += (now - next) / period * period;
  }
}

nlohmann::json attack_outcome(nlohmann::json sent, const nlohmann::json& consumer_report) {
  const auto traffic = consumer_report.value("traffic", nlohmann::json::object());
  sent["rejected_by_reason"] = traffic.value("rejected_by_reason", nlohmann::json::object());
  sent["reject_cpu_us"] = traffic.value("reject_cpu_us", nlohmann::json(nullptr));
  std::uint64_t total = 0;
  for (const auto& [kind, n] : sent.at("sent").items()) total += n.get<std::uint64_t>();
  sent["total"] = total;
  return sent;
}

}  // namespace hookbench
