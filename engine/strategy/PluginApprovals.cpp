#include "strategy/PluginApprovals.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>

namespace kappa {
namespace {
bool isSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}
}  // namespace

PluginApprovals::PluginApprovals(std::string file) : file_(std::move(file)) {
  std::ifstream in(file_);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    // sha256sum writes "<hex>  <path>" (two spaces; " *" in binary mode).
    const std::string hash = line.substr(0, 64);
    std::size_t pathStart = 64;
    while (pathStart < line.size() && (line[pathStart] == ' ' || line[pathStart] == '*')) ++pathStart;
    if (!isSha256Hex(hash) || pathStart == 64 || pathStart >= line.size()) {
      errors_.push_back(file_ + ":" + std::to_string(number) + ": expected '<sha256 hex>  <path>', ignored");
      continue;
    }
    approved_[line.substr(pathStart)] = hash;
  }
}

PluginApprovals::Verdict PluginApprovals::check(const std::string& path, const std::string& sha256) const {
  const auto it = approved_.find(path);
  if (it == approved_.end()) return Verdict::Unknown;
  return it->second == sha256 ? Verdict::Approved : Verdict::Changed;
}

std::string PluginApprovals::approvedHash(const std::string& path) const {
  const auto it = approved_.find(path);
  return it == approved_.end() ? std::string() : it->second;
}

bool PluginApprovals::approve(const std::string& path, const std::string& sha256, std::string* error) {
  approved_[path] = sha256;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(file_).parent_path(), ec);
  const std::string tmp = file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Plugin binaries approved in Kappa (sha256sum format). Edit with care.\n";
    for (const auto& [p, h] : approved_) out << h << "  " << p << "\n";
    out.flush();
    if (!out) {
      if (error) *error = "cannot write " + tmp;
      return false;
    }
  }
  std::filesystem::rename(tmp, file_, ec);
  if (ec) {
    if (error) *error = "cannot replace " + file_ + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace kappa
