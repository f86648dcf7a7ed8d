#pragma once
// Which plugin binaries the user approved, by path and SHA-256. Kept in
// <data-dir>/plugins/approved.sha256 in sha256sum's format ("<hex>  <path>" per line), so
// `sha256sum -c approved.sha256` checks the files by hand. A path loaded for the first time is
// recorded (loading it was the user's approval); a file whose hash changed since is refused until
// the user approves it again: a rebuilt or replaced DLL never runs unnoticed.
#include <map>
#include <string>
#include <vector>

namespace kappa {

class PluginApprovals {
 public:
  enum class Verdict { Approved, Unknown, Changed };

  // Reads the file if it exists; malformed lines are skipped and reported by errors() (file:line).
  explicit PluginApprovals(std::string file);

  Verdict check(const std::string& path, const std::string& sha256) const;
  std::string approvedHash(const std::string& path) const;
  // Records (path, sha256) and rewrites the file atomically. False with `error` on I/O failure.
  bool approve(const std::string& path, const std::string& sha256, std::string* error);
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, std::string> approved_;  // path -> sha256
  std::vector<std::string> errors_;
};

}  // namespace kappa
