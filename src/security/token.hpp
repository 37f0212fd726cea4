// Secrets that guard the producer's API: bearer tokens for pulls and subscriptions, the control
// token of a run. Random bytes come from OpenSSL's CSPRNG; comparisons take the same time
// whatever the inputs share.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hookbench::security {

// `bytes` random bytes as lower-case hex (2 * bytes characters). Throws std::runtime_error if
// the CSPRNG fails.
std::string random_token(std::size_t bytes = 24);
// Equal contents, compared in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);
// The token of "Authorization: Bearer <token>", or empty when the header is absent or another
// scheme (the scheme name is case-insensitive, RFC 7235).
std::string_view bearer_token(std::string_view authorization);
// HMAC-SHA256 of `data` under `key`, as lower-case hex: what a state file keeps of a token, so
// that reading the file does not give the token away, yet an owner is still recognised.
std::string keyed_hash(std::string_view key, std::string_view data);

}  // namespace hookbench::security
