// A webhook receiver inside the test process, on raw sockets: it answers each POST as a script
// says (status, extra headers, a delay before answering) and records every POST with its
// arrival time, so a test can check what a real `hookbench serve` sent, retried and when.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hookbench_test {

struct received_post {
  std::string path, id, timestamp, signature, body;
  std::chrono::steady_clock::time_point at;
  std::size_t attempt = 1;  // of this webhook-id, 1 for the first POST with it
  unsigned answered = 0;    // the status the script gave
};

struct scripted_answer {
  scripted_answer(unsigned s = 204, std::string h = {},
                  std::chrono::milliseconds d = std::chrono::milliseconds(0))
      : status(s), headers(std::move(h)), delay(d) {}
  unsigned status;
  std::string headers;  // extra header lines, each ending in \r\n
  std::chrono::milliseconds delay;
};

class script_receiver {
 public:
  using script_fn = std::function<scripted_answer(const received_post&)>;

  explicit script_receiver(script_fn script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("script_receiver: cannot listen");
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~script_receiver() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
    close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<received_post> posts() const {
    std::lock_guard lock(mutex_);
    return posts_;
  }
  // The POSTs from the `from`th on (a long test's poll need not copy them all).
  std::vector<received_post> posts_since(std::size_t from) const {
    std::lock_guard lock(mutex_);
    return {posts_.begin() + static_cast<std::ptrdiff_t>(std::min(from, posts_.size())),
            posts_.end()};
  }
  std::size_t post_count() const {
    std::lock_guard lock(mutex_);
    return posts_.size();
  }
  // Every POST by webhook-id, in arrival order.
  std::map<std::string, std::vector<received_post>> by_id() const {
    std::map<std::string, std::vector<received_post>> m;
    for (auto& p : posts()) m[p.id].push_back(p);
    return m;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  void serve(int fd) {
    timeval tv{0, 50'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string buf;
    char chunk[8192];
    while (!stop_) {
      const auto head_end = buf.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == 0) break;
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) continue;
          break;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      received_post post;
      std::size_t content_length = 0;
      const std::string head = buf.substr(0, head_end);
      const auto first_space = head.find(' ');
      post.path = head.substr(first_space + 1, head.find(' ', first_space + 1) - first_space - 1);
      for (std::size_t pos = head.find("\r\n"); pos != std::string::npos;) {
        const auto next = head.find("\r\n", pos + 2);
        const std::string line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        pos = next;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (name == "content-length") content_length = std::stoul(value);
        if (name == "webhook-id") post.id = value;
        if (name == "webhook-timestamp") post.timestamp = value;
        if (name == "webhook-signature") post.signature = value;
      }
      bool open = true;
      while (open && !stop_ && buf.size() < head_end + 4 + content_length) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) open = false;
        if (n > 0) buf.append(chunk, static_cast<std::size_t>(n));
      }
      if (!open || stop_) break;
      post.body = buf.substr(head_end + 4, content_length);
      buf.erase(0, head_end + 4 + content_length);
      post.at = std::chrono::steady_clock::now();
      scripted_answer answer;
      {
        std::lock_guard lock(mutex_);
        post.attempt = static_cast<std::size_t>(
            1 + std::count_if(posts_.begin(), posts_.end(),
                              [&](const received_post& p) { return p.id == post.id; }));
        answer = script_(post);
        post.answered = answer.status;
        posts_.push_back(post);
      }
      const auto until = std::chrono::steady_clock::now() + answer.delay;
      while (!stop_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(answer.status) +
                                " Scripted\r\nContent-Length: 0\r\n" + answer.headers + "\r\n";
      if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
    }
    close(fd);
  }

  script_fn script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor adds; joined after it
  mutable std::mutex mutex_;
  std::vector<received_post> posts_;
};

}  // namespace hookbench_test
