#include "nats/CredsFile.hpp"

#include "nats/NatsSettings.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kappa::nats {

namespace {

constexpr std::size_t kMaxCredsBytes = 64 * 1024;  // a .creds file is about 2 KB

// RFC 4648 base64url (a JWT's alphabet, padding optional); false on a character outside it.
bool base64UrlDecode(const std::string& in, std::string& out) {
  out.clear();
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else if (c == '=') break;
    else return false;
    buffer = (buffer << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((buffer >> bits) & 0xFF);
    }
  }
  return true;
}

// The first non-empty line after the line that holds `marker`; "" if none.
std::string blockAfter(const std::string& text, const char* marker) {
  const std::size_t at = text.find(marker);
  if (at == std::string::npos) return {};
  std::istringstream lines(text.substr(at));
  std::string line;
  std::getline(lines, line);  // the marker's own line
  while (std::getline(lines, line)) {
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
  }
  return {};
}

}  // namespace

CredsUser readCredsUser(const std::string& path) {
  const std::string file = "the creds file '" + path + "'";
  auto fail = [](std::string why) { return CredsUser{{}, std::move(why)}; };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(file + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(file + " is not a file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return fail(file + " may be read or changed by others (mode " + mode +
                "): it holds a private key; make it the owner's only (chmod 600)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(file + " cannot be read");
  std::string text(kMaxCredsBytes + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(std::size_t(in.gcount()));
  if (text.size() > kMaxCredsBytes) return fail(file + " is too large for a creds file");

  const std::string jwt = blockAfter(text, "BEGIN NATS USER JWT");
  if (jwt.empty()) return fail(file + " holds no user JWT (-----BEGIN NATS USER JWT-----)");
  if (blockAfter(text, "BEGIN USER NKEY SEED").empty())
    return fail(file + " holds no NKey seed (-----BEGIN USER NKEY SEED-----)");
  const std::size_t dot1 = jwt.find('.');
  const std::size_t dot2 = dot1 == std::string::npos ? dot1 : jwt.find('.', dot1 + 1);
  std::string payload;
  if (dot2 == std::string::npos || !base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1), payload))
    return fail(file + ": its user JWT is not a JWT");
  const nlohmann::json claims = nlohmann::json::parse(payload, nullptr, false);
  if (!claims.is_object()) return fail(file + ": its user JWT's claims are not JSON");
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().rfind('U', 0) != 0)
    return fail(file + ": its JWT is not a user's (subject not a user key)");
  const auto name = claims.find("name");
  if (name == claims.end() || !name->is_string() || name->get<std::string>().empty())
    return fail(file + ": its user JWT has no name (nsc add user --name NAME)");
  if (!isPlainToken(name->get<std::string>()))
    return fail(file + ": its user's name '" + name->get<std::string>() +
                "' is not one token (A-Z a-z 0-9 _ -): it names the user's command subjects");
  return CredsUser{name->get<std::string>(), {}};
}

}  // namespace kappa::nats
