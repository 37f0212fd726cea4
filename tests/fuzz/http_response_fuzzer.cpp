// Fuzzes the client's response parsing: Beast's response parser with the client's limits (a
// webhook dispatcher's 64 KiB body, and a streamed body read piece by piece), fed the way
// Beast's read loop feeds it from a read buffer bounded as the client bounds it. Whatever a
// server sends, the buffer never holds more than that bound, a whole body never exceeds its
// limit, and a streamed body arrives intact.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/client.hpp"

namespace {

namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

// Beast's read loop: parse what is buffered; on need_more, read up to `step` more bytes into
// the bounded buffer (a full buffer is buffer_overflow). `on_piece` runs after each parse.
template <class Parser, class OnPiece>
void drive(Parser& parser, std::string_view in, std::size_t step, std::size_t limit,
           OnPiece&& on_piece) {
  boost::beast::flat_buffer buffer(limit);
  boost::beast::error_code ec;
  while (!parser.is_done()) {
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      on_piece(ec);
      if (ec == bhttp::error::need_buffer) continue;    // the piece was handed over: a new one
      if (ec && ec != bhttp::error::need_more) return;  // refused: the client reports it
      if (!ec && used > 0) continue;
      ec = {};
    }
    if (in.empty()) {
      parser.put_eof(ec);
      return;
    }
    const std::size_t room = boost::beast::read_size(buffer, 65536);
    if (room == 0) return;  // buffer_overflow: the client's error names the limit
    const std::size_t n = std::min({room, step, in.size()});
    buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(in.data(), n)));
    in.remove_prefix(n);
    check(buffer.size() <= limit && buffer.capacity() <= limit);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses how much each read delivers, the rest is the server's bytes.
  const std::size_t step = (static_cast<std::size_t>(data[0]) % 64 + 1) * 97;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  http::client_options options;
  options.body_limit = 64 * 1024;  // the dispatcher's

  // As the client reads it: the head alone (not eager), then the rest eagerly.
  bhttp::response_parser<bhttp::string_body> whole;
  whole.body_limit(options.body_limit);
  whole.header_limit(static_cast<std::uint32_t>(options.header_limit));
  drive(whole, in, step, http::response_buffer_limit(options.header_limit, options.body_limit),
        [&](const boost::beast::error_code&) {
          if (whole.is_header_done()) whole.eager(true);
        });
  if (whole.is_done()) check(whole.get().body().size() <= options.body_limit);

  // Streamed, as the SSE reader reads: pieces of 512 bytes, no body limit.
  bhttp::response_parser<bhttp::buffer_body> streamed;
  streamed.body_limit(boost::none);
  streamed.header_limit(static_cast<std::uint32_t>(options.header_limit));
  char piece[512];
  std::string body;
  const auto reset_piece = [&] {
    streamed.get().body().data = piece;
    streamed.get().body().size = sizeof piece;
  };
  reset_piece();
  drive(streamed, in, step, http::response_buffer_limit(options.header_limit, 0),
        [&](const boost::beast::error_code&) {
          body.append(piece, sizeof piece - streamed.get().body().size);
          reset_piece();
        });
  // Both parsers saw the same bytes: a whole body within its limit is the streamed one.
  if (whole.is_done() && streamed.is_done()) check(whole.get().body() == body);
  return 0;
}
