// Helpers shared by the loopback microbenchmarks (see support.hpp).
#include "support.hpp"

#include <chrono>

namespace hookbench::bench {

boost::system::error_code round_trip(net::io_context& ioc, http::client_connection& conn,
                                     http::client_request req, http::client_response& out) {
  boost::system::error_code result = net::error::timed_out;
  bool done = false;
  conn.async_send(std::move(req), [&](boost::system::error_code ec, http::client_response&& r) {
    result = ec;
    out = std::move(r);
    done = true;
  });
  // run_for returns as soon as the exchange has no work left; the connection's own timeout
  // (5 s) fires well before this bound, so `done` is always set unless the loop is broken.
  ioc.restart();
  ioc.run_for(std::chrono::nanoseconds(kRequestTimeout + kNanosPerSecond));
  return done ? result : boost::system::error_code(net::error::timed_out);
}

http::client_request get_request(std::string target) {
  http::client_request req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

bool retry_until(const std::function<bool()>& attempt, nanos timeout) {
  const nanos deadline = now_ns() + timeout;
  while (true) {
    if (attempt()) return true;
    if (now_ns() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string failure(const std::string& what, const boost::system::error_code& ec,
                    const http::client_response& r) {
  if (ec) return what + ": " + http::describe(ec);
  return what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
}

}  // namespace hookbench::bench
