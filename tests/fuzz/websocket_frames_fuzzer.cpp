// Fuzzes WebSocket frames as a server reads them: Beast's websocket stream after an upgrade,
// with a message maximum as this project sets one (the producer's 1 KiB, where a client sends
// nothing but control frames, or the default), reading whatever frames a client sends. No
// message handed over exceeds the maximum, and a larger one is answered with close code 1009.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/websocket.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

void check(bool ok) {
  if (!ok) std::abort();
}

const std::string kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the maximum, the rest are the client's frames after its upgrade.
  const std::size_t max_message = data[0] % 2 ? 1024 : hookbench::http::ws_handlers{}.max_message;
  const std::string_view frames(reinterpret_cast<const char*>(data) + 1, size - 1);

  boost::asio::io_context ioc;
  beast::test::stream server(ioc, kUpgrade + std::string(frames));
  beast::test::stream client(ioc);
  server.connect(client);
  client.close();  // the server reads EOF once the input is used up
  websocket::stream<beast::test::stream&> ws(server);
  ws.read_message_max(max_message);
  beast::error_code ec;
  ws.accept(ec);
  check(!ec);
  beast::flat_buffer buffer;
  for (int messages = 0; messages < 10'000; ++messages) {
    ws.read(buffer, ec);
    if (ec) break;
    check(buffer.size() <= max_message);
    buffer.consume(buffer.size());
  }
  if (ec == websocket::error::message_too_big) {
    // The close frame the server sent: unmasked, code 1009.
    const std::string out(client.str());
    check(out.find(std::string("\x88\x02\x03\xf1", 4)) != std::string::npos);
  }
  return 0;
}
