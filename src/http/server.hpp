// An asynchronous HTTP/1.1 server on Asio + Beast: one session per connection, keep-alive,
// TCP_NODELAY, bounded header and body sizes, idle timeout. The handler gets a plain request
// and a reply callback, which it may call later (a parked long-poll) on the server's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/parse.hpp"
#include "http/message.hpp"

namespace boost::asio {
class io_context;
}

namespace hookbench::http {

using reply_fn = std::function<void(response)>;
using handler_fn = std::function<void(request&&, reply_fn)>;

// Called once per exchange after the response is written (or after a rejected request):
// when the request arrived, bytes read, bytes written, the status sent.
struct exchange {
  nanos received_ns = 0;
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  unsigned status = 0;
  std::string path;
};
using observer_fn = std::function<void(const exchange&)>;

struct server_options {
  std::size_t body_limit = 64 * 1024;  // larger bodies get 413
  std::size_t header_limit = 16 * 1024;
  nanos idle_timeout = 120 * kNanosPerSecond;
  std::string server_name = "hookbench";
};

class server {
 public:
  server(boost::asio::io_context& ioc, const host_port& listen, server_options options,
         handler_fn handler, observer_fn observer = nullptr);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Throws std::runtime_error naming the address on bind/listen failure.
  void start();
  void stop();
  std::uint16_t port() const;

  struct impl;  // Beast state, defined in server.cpp (public so its sessions can name it)

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace hookbench::http
