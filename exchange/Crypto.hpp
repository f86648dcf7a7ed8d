#pragma once
// The few cryptographic helpers the exchange needs, on OpenSSL: Deribit's request signatures
// (hex HMAC-SHA256), random tokens, constant-time comparison and Base64 (HTTP Basic auth).
#include <string>
#include <string_view>

namespace kappa::exchange {

std::string hmacSha256Hex(std::string_view key, std::string_view message);
// A random URL-safe token of `bytes` random bytes (hex).
std::string randomToken(std::size_t bytes = 24);
bool equalConstantTime(std::string_view a, std::string_view b);
// Decodes standard Base64; returns false on malformed input.
bool base64Decode(std::string_view in, std::string& out);

}  // namespace kappa::exchange
