#include "Csv.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace kappa::quant {

std::vector<std::string> splitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

bool parseNumber(const std::string& text, double* out, std::string* why) {
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    *why = "is not a number";
    return false;
  }
  // strtod says ERANGE on underflow too (a result below DBL_MIN): that is still the number, to
  // the precision a double has. Overflow (HUGE_VAL) is not.
  if (errno == ERANGE && std::isinf(d)) {
    *why = "is out of range (a number must lie within about +-1.8e308)";
    return false;
  }
  if (!std::isfinite(d)) {  // "nan", "inf"
    *why = "is not a finite number";
    return false;
  }
  *out = d;
  return true;
}

std::string joinCsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\n") == std::string::npos) {
      out += f;
    } else {
      out += '"';
      for (char c : f) out += c == '"' ? std::string("\"\"") : std::string(1, c);
      out += '"';
    }
  }
  return out;
}

std::optional<std::string> CsvTable::read(std::istream& in) {
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (header_.empty()) {
      if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte-order mark (Excel)
      header_ = splitCsvLine(line);
      for (int i = 0; i < int(header_.size()); ++i) {
        std::string& h = header_[std::size_t(i)];
        while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.pop_back();
        while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.erase(h.begin());
        const auto [at, added] = index_.emplace(h, i);
        // Two columns of one name: which one a row means cannot be known. (Unnamed columns are
        // only passed through: they may repeat.)
        if (!added && !h.empty())
          return "line " + std::to_string(lineNo) + ": column '" + h + "' appears twice in the header (columns " +
                 std::to_string(at->second + 1) + " and " + std::to_string(i + 1) + ")";
      }
      continue;
    }
    rows_.push_back({lineNo, splitCsvLine(line)});
  }
  if (in.bad()) return std::string("cannot be read");
  if (header_.empty()) return std::string("the file is empty (no header line)");
  return std::nullopt;
}

bool loadCsv(const std::string& file, CsvTable& table, std::ostream& err) {
  std::unique_ptr<std::ifstream> f;
  std::istream* in = &std::cin;
  if (file != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {  // opens fine, and then reads as empty
      err << "kappa-quant: " << file << ": is a directory, not a CSV file\n";
      return false;
    }
    f = std::make_unique<std::ifstream>(file);
    if (!*f) {
      err << "kappa-quant: cannot open " << file << "\n";
      return false;
    }
    in = f.get();
  }
  if (auto e = table.read(*in)) {
    err << "kappa-quant: " << file << ": " << *e << "\n";
    return false;
  }
  return true;
}

int CsvTable::column(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::string RowReader::text(const std::string& column) {
  const int c = table_.column(column);
  if (c < 0 || c >= int(row_.fields.size())) {
    if (error_.empty()) error_ = "field '" + column + "': missing";
    return {};
  }
  std::string v = row_.fields[std::size_t(c)];
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  return v;
}

double RowReader::number(const std::string& column) {
  const std::string v = text(column);
  if (!ok()) return NAN;
  if (v.empty()) {
    if (error_.empty()) error_ = "field '" + column + "': empty";
    return NAN;
  }
  double d = NAN;
  std::string why;
  if (!parseNumber(v, &d, &why)) {
    if (error_.empty()) error_ = "field '" + column + "': '" + v + "' " + why;
    return NAN;
  }
  return d;
}

}  // namespace kappa::quant
