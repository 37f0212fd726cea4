// Fuzzes the server's request parsing: Beast's parser with the server's limits, fed in two parts
// as a socket may deliver them, then the conversion into http::request and what handlers ask of
// it (path, query, headers) and a 404 naming the target, which must still be valid JSON.
#include <boost/asio/buffer.hpp>
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

  // The first byte chooses where the input is cut in two.
  const std::size_t cut = size == 0 ? 0 : static_cast<unsigned char>(in[0]) % (size + 1);
  std::string pending;
  boost::beast::error_code ec;
  for (const auto part : {in.substr(0, cut), in.substr(cut)}) {
    pending.append(part);
    while (!pending.empty() && !parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return 0;  // rejected: the server answers 400, 413 or 431
      if (used == 0) break;
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
