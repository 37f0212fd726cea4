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
  static const std::vector<std::string> kinds{"forged",
                                              "tampered",
                                              "replayed",
                                              "expired",
                                              "unsigned",
                                              "oversized-signature",
                                              "cross-subscription",
                                              "crlf-url"};
  return kinds;
}

std::vector<std::string> attack_kinds(std::size_t subscribers) {
  std::vector<std::string> kinds;
  for (const auto& k : attack_kinds()) {
    if (k != "cross-subscription" || subscribers >= 2) kinds.push_back(k);
  }
  return kinds;
}

attacker::attacker(attack_config config)
    : config_(std::move(config)), kinds_(attack_kinds(config_.subscribers)) {}

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
  for (const auto& kind : kinds_) sent[kind] = sent_[kind];
  for (const auto& [kind, by_status] : answers_) {
    for (const auto& [status, n] : by_status) answers[kind][std::to_string(status)] = n;
  }
  return {{"rate", config_.rate},
          {"sent", sent},
          {"answers", answers},
          {"accepted", accepted_},
          {"failed", failed_},
          {"failures", failures_},
          {"captured", captured_.size()},
          {"refused_by_producer", producer_refusals_}};
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

// A second token holder tries to make the producer send a request of its own making: the
// target's CR LF would end the request line, and what follows would go to the receiver as
// headers and a second request.
void attacker::register_crlf_url() {
  http::client_request req;
  req.method = "POST";
  req.target = "/subscriptions";
  req.headers.emplace_back("Authorization", "Bearer " + config_.producer_token);
  req.body = nlohmann::json{{"url", std::string(config_.tls ? "https://" : "http://") +
                                        config_.receiver.to_string() +
                                        "/hook/0 HTTP/1.1\r\nX-Injected: 1\r\n\r\n"
                                        "DELETE /admin"}}
                 .dump();
  ++sent_["crlf-url"];
  http::client_response res;
  const auto ec = http::fetch(config_.producer, req, res, config_.request_timeout, config_.tls);
  if (ec) {
    ++failed_;
    ++failures_[http::describe(ec)];
    return;
  }
  ++answers_["crlf-url"][res.status];
  if (res.status >= 200 && res.status < 300) ++accepted_;
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  std::string why = body.is_object() ? body.value("error", "") : "";
  why = why.substr(0, why.find(", got"));  // the reason, not the echoed input
  ++producer_refusals_[why.empty() ? "HTTP " + std::to_string(res.status) : why];
}

void attacker::send_one(const std::string& kind) {
  if (kind == "crlf-url") return register_crlf_url();
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
  // The subscription part of a real id (msg_<subscription>_): a forgery names the right one,
  // so that only its signature gives it away.
  const std::string prefix = c.id.substr(0, c.id.rfind('_') + 1);
  if (k == "forged") {
    sign_as((prefix.empty() ? std::string("msg_0_") : prefix) + "forged" +
                std::to_string(++forged_ids_),
            std::to_string(unix_now()), "v1," + base64_of_random(32));
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
  } else if (k == "oversized-signature") {
    // A fresh timestamp, so that the entries are what the receiver has to look at.
    std::string entries;
    for (int i = 0; i < 200; ++i) entries += (i ? " v1," : "v1,") + base64_of_random(32);
    sign_as(c.id, std::to_string(unix_now()), entries);
  } else if (k == "cross-subscription") {
    // The same bytes to the next subscriber's receiver path: a valid signature (one key for
    // every subscription with ed25519), but another subscription's id.
    const auto slash = c.path.rfind('/');
    std::size_t from = 0;
    try {
      from = std::stoul(c.path.substr(slash + 1));
    } catch (const std::exception&) {
    }
    req.target = c.path.substr(0, slash + 1) + std::to_string((from + 1) % config_.subscribers);
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
  const auto& kinds = kinds_;
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
