// Fuzzes the consumer's text/event-stream parser: whatever a server sends, fed in parts of any
// size, gives the same messages, comments and retry hints as the whole fed at once, and each
// message's data goes to the event parser as the SSE mode does.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/sse_parser.hpp"
#include "core/event.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

// Everything the parser reported, in order, as one transcript.
std::string transcript(std::string_view bytes, std::size_t part) {
  sse_parser parser;
  std::string out;
  const auto on_message = [&](const sse_parser::message& m) {
    out += "M" + std::to_string(m.id.size()) + ":" + m.id + std::to_string(m.event.size()) + ":" +
           m.event + std::to_string(m.data.size()) + ":" + m.data;
    std::string error;
    (void)parse_event_json(m.data, error);
  };
  const auto on_comment = [&](std::string_view c) {
    out += "C" + std::to_string(c.size()) + ":" + std::string(c);
  };
  const auto on_retry = [&](std::uint64_t ms) { out += "R" + std::to_string(ms) + ";"; };
  for (std::size_t at = 0; at < bytes.size(); at += part) {
    parser.feed(bytes.substr(at, part), on_message, on_comment, on_retry);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the part size, the rest is the stream.
  const std::size_t part = static_cast<unsigned char>(data[0]) % 16 + 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  check(transcript(in, part) == transcript(in, in.size() + 1));
  return 0;
}
