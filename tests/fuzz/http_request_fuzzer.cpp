// Fuzzes the server's request parsing: Beast's parser with the server's limits, fed in two parts
// as a socket may deliver them through a read buffer bounded as the session's (it never holds
// more than read_buffer_limit, chunk extensions and trailers included), then the conversion
// into http::request and what handlers ask of it (path, query, headers) and a 404 naming the
// target, which must still be valid JSON.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/parse.hpp"
#include "http/request_parser.hpp"
#include "http/server.hpp"

namespace {

namespace bhttp = boost::beast::http;
using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const http::server_options limits;
  http::detail::request_parser parser;
  http::detail::set_limits(parser, limits.header_limit, limits.body_limit);
  parser.eager(true);

  // The first byte chooses where the input is cut in two: two reads, each into the session's
  // read buffer, bounded as the session bounds it (a full buffer is refused with 413).
  const std::size_t cut = size == 0 ? 0 : static_cast<unsigned char>(in[0]) % (size + 1);
  const std::size_t limit = http::detail::read_buffer_limit(limits.header_limit, limits.body_limit);
  boost::beast::flat_buffer buffer(limit);
  boost::beast::error_code ec;
  for (auto part : {in.substr(0, cut), in.substr(cut)}) {
    while (!part.empty() && !parser.is_done()) {
      const std::size_t room = boost::beast::read_size(buffer, 65536);
      if (room == 0) return 0;  // buffer_overflow: the server answers 413
      const std::size_t n = std::min(room, part.size());
      buffer.commit(
          boost::asio::buffer_copy(buffer.prepare(n), boost::asio::buffer(part.data(), n)));
      part.remove_prefix(n);
      // Never more than the stated maximum is held, whatever the bytes.
      check(buffer.size() <= limit && buffer.capacity() <= limit);
      while (buffer.size() > 0 && !parser.is_done()) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == bhttp::error::need_more) {
          ec = {};
          break;
        }
        if (ec) return 0;  // rejected: the server answers 400, 413 or 431
        if (used == 0) break;
      }
    }
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  check(parser.get().body().size() <= limits.body_limit);

  http::request req = http::detail::to_request(parser.release(), size, 0);
  for (const auto& [name, value] : req.headers) {
    for (char c : name) check(c < 'A' || c > 'Z');
  }
  const std::string path = req.path();
  check(path.find('?') == std::string::npos);
  for (const char* name : {"after", "limit", "wait"}) {
    std::uint64_t v = 0;
    (void)try_parse_u64(req.query(name), v);
  }
  (void)req.header("content-type");
  // Handlers quote what the client sent in their errors: the body must stay valid JSON.
  const auto r = http::json_error(404, "no route for " + req.method + " " + req.target);
  check(!nlohmann::json::parse(r.body, nullptr, false).is_discarded());
  return 0;
}
