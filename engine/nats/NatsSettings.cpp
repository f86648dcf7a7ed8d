#include "nats/NatsSettings.hpp"

#include "nats/CredsFile.hpp"

#include <cstdlib>
#include <fstream>

namespace kappa::nats {

bool isPlainToken(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

namespace {
bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string unreadable(const char* what, const std::string& file) {
  if (file.empty()) return {};
  std::ifstream in(file);
  return in ? std::string() : std::string(what) + " '" + file + "' cannot be read";
}
}  // namespace

NatsSettings NatsSettings::fromEnvironment(const std::string& url, const std::string& credsFile) {
  NatsSettings s;
  s.url = url;
  if (!credsFile.empty()) {
    s.useCredsFile(credsFile);
    return s;
  }
  if (const char* u = std::getenv("KAPPA_NATS_USER")) s.user = u;
  if (const char* p = std::getenv("KAPPA_NATS_PASSWORD")) s.password = p;
  return s;
}

std::string NatsSettings::useCredsFile(const std::string& file) {
  credsFile = file;
  password.clear();
  CredsUser creds = readCredsUser(file);
  user = std::move(creds.name);
  return creds.error;
}

bool NatsSettings::tlsRequested() const {
  return startsWith(url, "tls://") || !caFile.empty() || !certFile.empty();
}

std::string NatsSettings::effectiveInboxPrefix() const {
  if (!inboxPrefix.empty()) return inboxPrefix;
  return isPlainToken(user) ? "_INBOX." + user : "_INBOX";
}

std::string NatsSettings::validate() const {
  if (!startsWith(url, "nats://") && !startsWith(url, "tls://"))
    return "the NATS URL must start with nats:// or tls:// (got '" + url + "')";
  if (url.find("://") + 3 >= url.size()) return "the NATS URL has no host";
  if (!credsFile.empty()) {
    if (!password.empty()) return "give either a creds file or a user and password, not both";
    const CredsUser creds = readCredsUser(credsFile);
    if (!creds.error.empty()) return creds.error;
    if (creds.name != user)
      return "the creds file '" + credsFile + "' is for user '" + creds.name + "', not '" + user + "'";
  }
  if (certFile.empty() != keyFile.empty())
    return "a TLS client certificate needs both the certificate and its key file";
  if (!inboxPrefix.empty() && inboxPrefix.find_first_of("*> ") != std::string::npos)
    return "the inbox prefix may not contain wildcards or spaces";
  for (const std::string& e : {unreadable("the CA file", caFile),
                               unreadable("the client certificate", certFile), unreadable("the client key", keyFile)})
    if (!e.empty()) return e;
  return {};
}

std::string NatsSettings::describe() const {
  std::string d = url;
  if (!credsFile.empty())
    d += " as user '" + user + "' with creds file " + credsFile;
  else if (!user.empty())
    d += " as user '" + user + "'" + (password.empty() ? " (no password)" : " (password set)");
  else
    d += " without credentials";
  if (!caFile.empty()) d += ", CA " + caFile;
  if (!certFile.empty()) d += ", client certificate " + certFile;
  if (!caFile.empty() || startsWith(url, "tls://")) d += " (TLS)";
  return d;
}

}  // namespace kappa::nats
