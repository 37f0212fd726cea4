// Webhooks: the consumer runs an HTTP receiver and registers one subscription per subscriber
// (POST /subscriptions {"url": ".../hook/K"}); the producer pushes every event to every URL.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <random>

#include "consumer/delivery_mode.hpp"
#include "consumer/webhook_receiver.hpp"
#include "consumer/webhook_signatures.hpp"
#include "core/private_files.hpp"
#include "http/server.hpp"

namespace hookbench {

class webhook_mode : public delivery_mode {
 public:
  // batch: subscribe with --batch-window/--batch-max, so POSTs carry {"events":[...]}.
  explicit webhook_mode(mode_context& ctx, bool batch = false);
  void setup() override;
  void start() override {}
  void stop() override;
  void on_window() override;  // arms receiver-down (--fault)
  std::uint16_t receiver_port() const override { return server_.port(); }
  traffic_by_kind requests() const override { return {}; }  // it only answers
  traffic_counter bytes() const override { return traffic_; }
  nlohmann::json stats() const override;
  // Verifiers and rejection counts (e.g. for a harness that sends hostile POSTs alongside).
  const webhook_signatures& signatures() const { return signatures_; }

 private:
  void handle(http::request&& req, http::reply_fn reply);
  // Records one delivered event; false when its id is outside the producer's range.
  bool record(std::size_t k, const event_stamp& stamp, nanos at);
  // webhook-batch: the accepted POST's trip, for the model's D (delivery_tracker).
  void note_batch_trip(const std::vector<event_stamp>& stamps, nanos at);
  // --tap: one in tap_every accepted POSTs, as it arrived, to the tap file.
  void tap(const http::request& req);
  // The receiver-5xx/429/slow fault in force now, if any (nullptr).
  const fault_spec* fault_now(fault_kind kind) const;
  // Records the POST's events and answers it (after a receiver-slow delay, if one is set).
  void accept(std::size_t k, std::vector<event_stamp> stamps, const http::request& req,
              http::reply_fn reply);

  mode_context& ctx_;
  bool batch_;
  http::server server_;
  webhook_signatures signatures_;
  traffic_counter traffic_;  // receiver side, requests received inside the window
  // counts_.received: POSTs answered 2xx. The rest break their events down by the tracker's
  // outcome, except out_of_range, which are answered 422 and not in received.
  receiver_counts counts_;
  std::uint64_t events_received_ = 0;  // events in them (more than one per batch POST)
  // CPU of this thread spent on POSTs refused for their signature (verify + answer).
  nanos reject_cpu_ns_ = 0;
  std::uint64_t accepted_posts_ = 0;  // signature-checked and recorded: what --tap samples
  unique_fd tap_;  // appended 0600, never through a link (it holds signed deliveries)
  std::uint64_t tapped_ = 0;
  // Faults carried out (consumer_config::faults): timers of receiver-down, answers held by
  // receiver-slow (cancelled at stop), the receiver-5xx draws and what each fault did.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> down_timers_;
  std::map<std::uint64_t, std::unique_ptr<boost::asio::steady_timer>> held_;
  std::uint64_t next_held_ = 0;
  std::mt19937_64 rng_;
  std::uint64_t answered_503_ = 0, answered_429_ = 0, slowed_ = 0, held_at_stop_ = 0;
  std::uint64_t down_closed_ = 0, down_refused_resume_ = 0;
  bool stopped_ = false;
};

}  // namespace hookbench
