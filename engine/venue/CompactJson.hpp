#pragma once
// A reading position in a message written in compact JSON (no whitespace, no escapes), for the
// connectors' one-pass readers of their busiest market-data messages (binance/CompactDepth,
// deribit/CompactBook). Every step either consumes exactly what it expects or fails; a reader that
// fails anywhere hands the message to simdjson, which stays the reference for everything else.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

namespace kappa {

struct CompactJson {
  const char* p;
  const char* end;

  CompactJson(std::string_view text) : p(text.data()), end(text.data() + text.size()) {}

  bool atEnd() const { return p == end; }

  bool lit(char c) {
    if (p == end || *p != c) return false;
    ++p;
    return true;
  }
  bool lit(std::string_view s) {
    if (std::size_t(end - p) < s.size() || std::memcmp(p, s.data(), s.size()) != 0) return false;
    p += s.size();
    return true;
  }
  // A JSON string of printable ASCII without escapes (simdjson would validate anything else).
  bool str(std::string_view& out) {
    if (!lit('"')) return false;
    const char* s = p;
    while (p != end && *p != '"') {
      const unsigned char ch = static_cast<unsigned char>(*p);
      if (ch == '\\' || ch < 0x20 || ch >= 0x80) return false;
      ++p;
    }
    if (p == end) return false;
    out = std::string_view(s, std::size_t(p - s));
    ++p;
    return true;
  }
  // A plain unsigned JSON integer (no sign, fraction, exponent or leading zero), up to 19 digits
  // (always below 2^64). What follows (',' '}' ']') is the caller's to check.
  bool u64(std::uint64_t& v) {
    const char* s = p;
    v = 0;
    while (p != end && unsigned(*p - '0') < 10) v = v * 10 + unsigned(*p++ - '0');
    const std::size_t n = std::size_t(p - s);
    return n > 0 && n <= 19 && !(n > 1 && *s == '0');
  }
  // A JSON number as a double, rounded as simdjson rounds it (both to nearest): exactly JSON's
  // grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, and finite.
  bool number(double& v) {
    const char* s = p;
    const char* q = p;
    auto digits = [&] {
      const char* d = q;
      while (q != end && unsigned(*q - '0') < 10) ++q;
      return q != d;
    };
    if (q != end && *q == '-') ++q;
    const char* intStart = q;
    if (!digits() || (*intStart == '0' && q - intStart > 1)) return false;
    if (q != end && *q == '.') {
      ++q;
      if (!digits()) return false;
    }
    if (q != end && (*q == 'e' || *q == 'E')) {
      ++q;
      if (q != end && (*q == '+' || *q == '-')) ++q;
      if (!digits()) return false;
    }
    const std::from_chars_result r = std::from_chars(s, q, v);
    if (r.ec != std::errc() || r.ptr != q) return false;  // out of range: simdjson's to judge
    p = q;
    return true;
  }
};

}  // namespace kappa
