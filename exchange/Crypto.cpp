#include "Crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <random>
#include <vector>

namespace kappa::exchange {
namespace {
std::string toHex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}
}  // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out, &len);
  return toHex(out, len);
}

std::string randomToken(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), int(buf.size())) != 1) {
    std::random_device rd;  // OpenSSL's generator failed: still unpredictable enough for a simulator
    for (auto& b : buf) b = static_cast<unsigned char>(rd());
  }
  return toHex(buf.data(), buf.size());
}

bool equalConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool base64Decode(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  std::string buf(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return false;
  std::size_t len = std::size_t(n);
  if (!in.empty() && in.back() == '=') --len;  // EVP_DecodeBlock counts the padding as zero bytes
  if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
  buf.resize(len);
  out = std::move(buf);
  return true;
}

}  // namespace kappa::exchange
