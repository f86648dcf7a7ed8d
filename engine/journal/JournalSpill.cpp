#include "journal/JournalSpill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace kappa {
namespace {

constexpr std::string_view kNull = "\\N";
constexpr std::string_view kSectionTag = "#halt";
const char* const kKinds[] = {"order_intent", "order_ack",    "order_reject", "fill",         "cancel_request",
                              "cancelled",    "replace",      "position_snapshot", "risk_event", "state_change",
                              "limit_change", "plugin_load",  "param_change",      "strategy_setup",
                              "venue_record"};  // a venue's own record (imported into venue_record)

void escapeInto(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
}

bool unescape(std::string_view s, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      *out += s[i];
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case '\\': *out += '\\'; break;
      case 't': *out += '\t'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case '0': *out += '\0'; break;
      default: return false;
    }
  }
  return true;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t from = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', from);
    fields.push_back(line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from));
    if (tab == std::string_view::npos) return fields;
    from = tab + 1;
  }
}

bool parseInt(std::string_view s, std::int64_t* v) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parseOptionalInt(std::string_view s, std::optional<std::int64_t>* v) {
  if (s == kNull) {
    v->reset();
    return true;
  }
  std::int64_t x = 0;
  if (!parseInt(s, &x)) return false;
  *v = x;
  return true;
}

bool parseOptionalText(std::string_view s, std::optional<std::string>* v) {
  if (s == kNull) {
    v->reset();
    return true;
  }
  std::string x;
  if (!unescape(s, &x)) return false;
  *v = std::move(x);
  return true;
}

void appendOptional(std::string& out, const std::optional<std::int64_t>& v) {
  if (v) out += std::to_string(*v);
  else out += kNull;
}

void appendOptional(std::string& out, const std::optional<std::string>& v) {
  if (v) escapeInto(out, *v);
  else out += kNull;
}

bool fsyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// The file's content: everything before the first zero byte (the pre-allocated rest).
bool readContent(const std::string& path, std::string* content) {
  content->clear();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buffer[1 << 15];
  std::size_t n;
  bool done = false;
  while (!done && (n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    const void* zero = std::memchr(buffer, 0, n);
    if (zero) {
      n = std::size_t(static_cast<const char*>(zero) - buffer);
      done = true;
    }
    content->append(buffer, n);
  }
  std::fclose(f);
  return true;
}
}  // namespace

std::string spillPathFor(const std::string& journalPath) { return journalPath + ".spill"; }

std::string spillImportedText(const SpillSection& section) {
  return "journal spill " + section.id + " imported: " + std::to_string(section.rows.size()) +
         " records the journal could not write in session " + std::to_string(section.session);
}

std::string encodeSpillRow(const JournalRow& r) {
  std::string out = std::to_string(r.session) + '\t' + std::to_string(r.ts) + '\t';
  escapeInto(out, r.kind);
  out += '\t';
  appendOptional(out, r.order);
  out += '\t';
  appendOptional(out, r.instrument);
  out += '\t';
  appendOptional(out, r.strategy);
  out += '\t';
  appendOptional(out, r.side);
  out += '\t' + std::to_string(r.price) + '\t' + std::to_string(r.qty) + '\t';
  char value[64];
  std::snprintf(value, sizeof value, "%a", r.value);  // exact, and strtod reads it back
  out += value;
  out += '\t';
  appendOptional(out, r.text);
  out += '\t';
  appendOptional(out, r.venue);
  return out;
}

bool decodeSpillRow(std::string_view line, JournalRow* r) {
  const std::vector<std::string_view> f = split(line);
  if (f.size() != 11 && f.size() != 12) return false;  // 11: written before the venue column
  *r = {};
  if (!parseInt(f[0], &r->session) || !parseInt(f[1], &r->ts)) return false;
  bool known = false;
  for (const char* k : kKinds) known = known || f[2] == k;
  if (!known) return false;
  r->kind = std::string(f[2]);
  if (!parseOptionalInt(f[3], &r->order) || !parseOptionalText(f[4], &r->instrument) ||
      !parseOptionalInt(f[5], &r->strategy) || !parseOptionalText(f[6], &r->side))
    return false;
  if (r->side && *r->side != "buy" && *r->side != "sell") return false;
  if (!parseInt(f[7], &r->price) || !parseInt(f[8], &r->qty)) return false;
  const std::string value(f[9]);
  char* end = nullptr;
  errno = 0;
  r->value = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(r->value)) return false;
  if (!parseOptionalText(f[10], &r->text)) return false;
  return f.size() == 11 || parseOptionalText(f[11], &r->venue);
}

SpillContents readSpill(const std::string& path) {
  SpillContents out;
  std::string content;
  if (!readContent(path, &content)) return out;
  std::size_t from = 0;
  int lineNo = 0;
  while (from < content.size()) {
    const std::size_t nl = content.find('\n', from);
    ++lineNo;
    if (nl == std::string::npos) {  // the last line was being written when the process died
      out.warning = path + ": line " + std::to_string(lineNo) + " is incomplete (ignored)";
      break;
    }
    const std::string_view line(content.data() + from, nl - from);
    from = nl + 1;
    if (line.substr(0, kSectionTag.size()) == kSectionTag) {
      const std::vector<std::string_view> f = split(line);
      SpillSection s;
      std::string reason;
      if (f.size() != 5 || !parseInt(f[2], &s.session) || !parseInt(f[3], &s.ts) || !unescape(f[4], &reason) ||
          f[1].empty()) {
        out.warning = path + ": line " + std::to_string(lineNo) + " is not a valid section header (reading stopped)";
        break;
      }
      s.id = std::string(f[1]);
      s.reason = std::move(reason);
      out.sections.push_back(std::move(s));
      continue;
    }
    JournalRow row;
    if (out.sections.empty() || !decodeSpillRow(line, &row)) {
      out.warning = path + ": line " + std::to_string(lineNo) + " is not a valid record (reading stopped)";
      break;
    }
    out.sections.back().rows.push_back(std::move(row));
  }
  return out;
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool SpillFile::open(std::string* error) {
  if (fd_ >= 0) return true;
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    if (error) *error = "cannot open " + path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void SpillFile::bind(const std::string& path) {
  path_ = path;
  std::string content;
  readContent(path_, &content);  // a section not imported yet stays; the next ones go after it
  offset_ = content.size();
}

bool SpillFile::wipe(std::string* error) {
  if (!open(error)) return false;
  if (::ftruncate(fd_, 0) != 0 || ::fsync(fd_) != 0) {
    if (error) *error = "cannot empty " + path_ + ": " + std::strerror(errno);
    return false;
  }
  offset_ = 0;
  return true;
}

bool SpillFile::prepare(std::size_t bytes, std::string* error) {
  if (!open(error)) return false;
  const std::uint64_t want = offset_ + bytes;
  // Zeros actually written (not a hole, not fallocate's unwritten extents where unsupported): the
  // blocks belong to the file before the disk can fill up.
  const std::string zeros(64 * 1024, '\0');
  for (std::uint64_t at = offset_; at < want;) {
    const std::size_t n = std::size_t(std::min<std::uint64_t>(zeros.size(), want - at));
    const ssize_t w = ::pwrite(fd_, zeros.data(), n, off_t(at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (error) *error = "cannot pre-allocate " + path_ + ": " + std::strerror(errno);
      return false;
    }
    at += std::uint64_t(w);
  }
  if (::fsync(fd_) != 0 || !fsyncDirectoryOf(path_)) {
    if (error) *error = "cannot sync " + path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool SpillFile::write(const std::string& bytes, std::string* error) {
  if (!open(error)) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, off_t(offset_ + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      // Whatever part was written is overwritten by the next attempt (offset_ did not move); the
      // reader ignores a line without its newline.
      if (error) *error = "cannot write " + path_ + ": " + std::strerror(errno);
      return false;
    }
    done += std::size_t(w);
  }
  if (::fdatasync(fd_) != 0) {
    if (error) *error = "cannot sync " + path_ + ": " + std::strerror(errno);
    return false;
  }
  offset_ += bytes.size();
  return true;
}

bool SpillFile::begin(std::int64_t session, std::int64_t ts, const std::string& reason, std::string* error) {
  std::string line = std::string(kSectionTag) + '\t' + std::to_string(session) + '-' + std::to_string(ts) + '\t' +
                     std::to_string(session) + '\t' + std::to_string(ts) + '\t';
  escapeInto(line, reason);
  line += '\n';
  if (!write(line, error)) return false;
  if (offset_ == line.size()) fsyncDirectoryOf(path_);  // a file created just now
  begun_ = true;
  return true;
}

bool SpillFile::append(const std::vector<JournalRow>& rows, std::string* error) {
  std::string bytes;
  for (const JournalRow& r : rows) bytes += encodeSpillRow(r) + '\n';
  return bytes.empty() || write(bytes, error);
}

}  // namespace kappa
