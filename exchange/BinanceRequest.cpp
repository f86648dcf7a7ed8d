#include "BinanceRequest.hpp"

#include <cctype>
#include <charconv>

#include "BinanceErrors.hpp"

namespace kappa::exchange::binance {
namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits a=b&c=d into the map (the first of a repeated key wins) and returns the text without
// its signature=... component, which is what the client signed.
std::string readForm(const std::string& text, std::map<std::string, std::string>& out, std::string& signature) {
  std::string unsigned_;
  std::size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    std::size_t amp = text.find('&', pos);
    if (amp == std::string::npos) amp = text.size();
    const std::string part = text.substr(pos, amp - pos);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      const std::string key = urlDecode(part.substr(0, eq));
      const std::string value = eq == std::string::npos ? "" : urlDecode(part.substr(eq + 1));
      if (key == "signature") {
        signature = value;
      } else {
        out.emplace(key, value);
        if (!unsigned_.empty()) unsigned_ += '&';
        unsigned_ += part;
      }
    }
    pos = amp + 1;
    if (amp == text.size()) break;
  }
  return unsigned_;
}
}  // namespace

std::string urlDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += char(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

Request::Request(const std::string& query, const std::string& body) {
  payload_ = readForm(query, params_, signature_);
  // A JSON body is not Binance's; only a form body adds parameters (and is part of what is signed).
  if (!body.empty() && body.front() != '{') payload_ += readForm(body, params_, signature_);
}

const std::string& Request::required(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end() || it->second.empty()) throw mandatoryMissing(key);
  return it->second;
}

std::optional<std::string> Request::get(const std::string& key) const {
  auto it = params_.find(key);
  if (it == params_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Request::getOr(const std::string& key, const std::string& fallback) const {
  auto v = get(key);
  return v ? *v : fallback;
}

long long Request::integer(const std::string& key) const {
  const std::string& v = required(key);
  long long out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size()) throw illegalChars(key);
  return out;
}

long long Request::integerOr(const std::string& key, long long fallback) const {
  return has(key) && !params_.at(key).empty() ? integer(key) : fallback;
}

}  // namespace kappa::exchange::binance
