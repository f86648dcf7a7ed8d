#include "CredentialSources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace kappa::app {
namespace {

using Status = CredentialSourceResult::Status;

// A credentials file is three short lines; anything much larger is the wrong file.
constexpr off_t kMaxFileBytes = 64 * 1024;

CredentialSourceResult failure(std::string message) {
  CredentialSourceResult r;
  r.status = Status::Error;
  r.error = std::move(message);
  return r;
}


std::string octalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", unsigned(mode & 07777));
  return buf;
}

// Why a file with these permission bits is refused ("" = it is not).
std::string permissionProblem(mode_t mode) {
  if (mode & (S_IRGRP | S_IROTH)) return "is readable by others";
  if (mode & (S_IWGRP | S_IWOTH)) return "is writable by others";
  if (mode & (S_IXGRP | S_IXOTH)) return "is accessible by others";
  if (!(mode & S_IRUSR)) return "is not readable by its owner";
  return {};
}

}  // namespace

// Reads the whole file through one descriptor, checking that very descriptor (no window between
// the check and the read for the file to be swapped).
bool readOwnerOnlyFile(const std::string& path, std::string& content, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    error = "credentials file " + path + ": cannot open it: " + std::strerror(errno);
    return false;
  }
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = "credentials file " + path + ": cannot read its permissions: " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "credentials file " + path + " is not a regular file";
    return false;
  }
  if (st.st_uid != ::geteuid()) {
    error = "credentials file " + path + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
            std::to_string(::geteuid()) + "); it must be your own file with mode 0600";
    return false;
  }
  if (const std::string problem = permissionProblem(st.st_mode); !problem.empty()) {
    error = "credentials file " + path + " " + problem + " (mode " + octalMode(st.st_mode) + "); chmod 600 " + path +
            " (only you may read it)";
    return false;
  }
  if (st.st_size > kMaxFileBytes) {
    error = "credentials file " + path + " is " + std::to_string(st.st_size) +
            " bytes: too large for a credentials file (a key, its secret and an environment)";
    return false;
  }
  content.clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "credentials file " + path + ": cannot read it: " + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    content.append(buf, std::size_t(n));
    if (content.size() > std::size_t(kMaxFileBytes)) {
      error = "credentials file " + path + " grew beyond " + std::to_string(kMaxFileBytes) + " bytes while read";
      return false;
    }
  }
  return true;
}

namespace {

bool validDeribitEnvironment(const std::string& value, std::string& error) {
  deribit::DeribitEndpoint endpoint;
  return deribit::parseDeribitEndpoint(value, endpoint, error);
}

bool validBinanceEnvironment(const std::string& value, std::string& error) {
  binance::BinanceEndpoint endpoint;
  return binance::parseBinanceEndpoint(value, endpoint, error);
}

}  // namespace

const CredentialFormat& deribitFormat() {
  static const CredentialFormat f{"client_id", "client_secret", kClientIdVariable, kClientSecretVariable,
                                  "--deribit-env", &validDeribitEnvironment};
  return f;
}

const CredentialFormat& binanceFormat() {
  static const CredentialFormat f{"api_key", "api_secret", kBinanceKeyVariable, kBinanceSecretVariable, "--binance-env",
                                  &validBinanceEnvironment};
  return f;
}

CredentialSourceResult credentialsFromEnvironment(const CredentialFormat& format) {
  const char* kClientIdVariable = format.idVariable;
  const char* kClientSecretVariable = format.secretVariable;
  const char* id = std::getenv(kClientIdVariable);
  const char* secret = std::getenv(kClientSecretVariable);
  const std::string idValue = id ? trimmed(id) : std::string();
  const std::string secretValue = secret ? trimmed(secret) : std::string();
  if (idValue.empty() && secretValue.empty()) return {};
  if (idValue.empty())
    return failure(std::string(kClientSecretVariable) + " is set but " + kClientIdVariable +
                   " is not: set both, or neither");
  if (secretValue.empty())
    return failure(std::string(kClientIdVariable) + " is set (" + deribit::DeribitCredentials{idValue, {}}.maskedId() +
                   ") but " + kClientSecretVariable + " is not: set both, or neither");
  CredentialSourceResult r;
  r.status = Status::Loaded;
  r.credentials = {idValue, secretValue};
  r.origin = std::string("environment (") + kClientIdVariable + ", " + kClientSecretVariable + ")";
  return r;
}

CredentialSourceResult credentialsFromFile(const std::string& path, const CredentialFormat& format) {
  const std::string idField = format.idField, secretField = format.secretField;
  const std::string fieldList = idField + ", " + secretField + ", environment";
  if (path.empty()) return failure("credentials file: no path given");
  std::string content, error;
  if (!readOwnerOnlyFile(path, content, error)) return failure(error);

  const std::string where = "credentials file " + path;
  std::map<std::string, std::pair<std::string, int>> fields;  // field -> value, line
  std::size_t pos = 0;
  int lineNo = 0;
  while (pos < content.size()) {
    const std::size_t end = content.find('\n', pos);
    const std::string raw = content.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? content.size() : end + 1;
    ++lineNo;
    const std::string line = trimmed(raw);
    if (line.empty() || line[0] == '#') continue;
    const std::string at = where + " line " + std::to_string(lineNo) + ": ";
    // Never quote the line: it may be a secret pasted on its own.
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos)
      return failure(at + "expected 'field = value' (fields: " + fieldList + ")");
    const std::string field = trimmed(line.substr(0, eq));
    const std::string value = trimmed(line.substr(eq + 1));
    if (field.empty()) return failure(at + "no field name before '='");
    if (field != idField && field != secretField && field != "environment") {
      // Name it only when it is plainly a mistyped field name, never what could be part of a secret
      // pasted on a line of its own ("abc=def").
      const bool looksLikeFieldName =
          field.size() <= 24 && field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos &&
          (field.find("client") != std::string::npos || field.find("secret") != std::string::npos ||
           field.find("env") != std::string::npos || field.find("_id") != std::string::npos ||
           field.find("key") != std::string::npos || field.find("api") != std::string::npos);
      const bool printable = looksLikeFieldName;
      return failure(at + "unknown field" + (printable ? " '" + field + "'" : std::string()) +
                     " (fields: " + fieldList + ")");
    }
    if (value.empty()) return failure(at + field + " is empty");
    if (auto it = fields.find(field); it != fields.end())
      return failure(at + field + " is given twice (first on line " + std::to_string(it->second.second) + ")");
    if (field == "environment") {
      std::string why;
      if (!format.validEnvironment(value, why)) return failure(at + "environment: " + why);
    }
    fields[field] = {value, lineNo};
  }
  for (const std::string& required : {idField, secretField})
    if (!fields.count(required)) return failure(where + ": " + required + " is missing");

  CredentialSourceResult r;
  r.status = Status::Loaded;
  r.credentials = {fields[idField].first, fields[secretField].first};
  r.origin = "file " + path;
  if (fields.count("environment")) r.environment = fields["environment"].first;
  return r;
}

CredentialSourceResult resolveHeadlessCredentials(const std::string& filePath, const CredentialFormat& format) {
  if (!filePath.empty()) return credentialsFromFile(filePath, format);
  return credentialsFromEnvironment(format);
}

void forgetSecretFromEnvironment() {
  ::unsetenv(kClientSecretVariable);
  ::unsetenv(kBinanceSecretVariable);
  ::unsetenv(kEvmPrivateKeyVariable);
}

binance::BinanceCredentials binanceCredentialsOf(const CredentialSourceResult& source) {
  return {source.credentials.clientId, source.credentials.clientSecret};
}

std::string checkCredentialsForEndpoint(const CredentialSourceResult& source, const binance::BinanceEndpoint& endpoint) {
  if (!source.loaded() || source.environment.empty()) return {};
  binance::BinanceEndpoint keyFor;
  std::string why;
  if (!binance::parseBinanceEndpoint(source.environment, keyFor, why)) return source.origin + ": " + why;
  if (keyFor.environment == endpoint.environment && (keyFor.environment != "custom" || keyFor.restBase == endpoint.restBase))
    return {};
  const auto name = [](const binance::BinanceEndpoint& e) { return e.environment == "custom" ? e.restBase : e.environment; };
  return "the API key " + source.credentials.maskedId() + " from " + source.origin + " is for " + name(keyFor) +
         ", not for " + name(endpoint) + " (--binance-env): refusing to send it there";
}

std::string checkCredentialsForEndpoint(const CredentialSourceResult& source, const deribit::DeribitEndpoint& endpoint) {
  if (!source.loaded() || source.environment.empty()) return {};
  deribit::DeribitEndpoint keyFor;
  std::string why;
  if (!deribit::parseDeribitEndpoint(source.environment, keyFor, why)) return source.origin + ": " + why;
  if (keyFor.environment == endpoint.environment && (keyFor.environment != "custom" || keyFor.url == endpoint.url))
    return {};
  const auto name = [](const deribit::DeribitEndpoint& e) {
    return e.environment == "custom" ? e.url : e.environment;
  };
  return "the API key " + source.credentials.maskedId() + " from " + source.origin + " is for " + name(keyFor) +
         ", not for " + name(endpoint) + " (--deribit-env): refusing to send it there";
}

std::string trimmed(const std::string& s) {
  const char* ws = " \t\r\n";
  const std::size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace kappa::app
