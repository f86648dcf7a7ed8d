#pragma once
// Minimal RFC-4180-style CSV for kappa-quant: quoted fields, header by name, line numbers kept so
// that every error names its line and field.
#include <istream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kappa::quant {

std::vector<std::string> splitCsvLine(const std::string& line);

// A decimal number, all of `text`. False with the reason ("is not a number", "is out of range",
// "is not finite") otherwise. Numbers too small for a normal double (1e-308) are numbers: they
// read as the nearest double (a subnormal or 0), as C does, and only overflow is refused.
bool parseNumber(const std::string& text, double* out, std::string* why);
std::string joinCsvLine(const std::vector<std::string>& fields);

class CsvTable {
 public:
  // Reads the header and the rows; empty lines are skipped. Returns an error text on failure
  // (no header; a column named twice, which no row could be read by).
  std::optional<std::string> read(std::istream& in);
  const std::vector<std::string>& header() const { return header_; }
  struct Row {
    int line = 0;  // 1-based line number in the file
    std::vector<std::string> fields;
  };
  const std::vector<Row>& rows() const { return rows_; }
  // Index of a column, or -1.
  int column(const std::string& name) const;

 private:
  std::vector<std::string> header_;
  std::unordered_map<std::string, int> index_;
  std::vector<Row> rows_;
};

// Reads `file` ('-' = standard input) into `table`; on failure prints "kappa-quant: ..." to err and
// returns false.
bool loadCsv(const std::string& file, CsvTable& table, std::ostream& err);

// Reads named numeric fields from a row, remembering the first problem as "field 'x': reason".
class RowReader {
 public:
  RowReader(const CsvTable& table, const CsvTable::Row& row) : table_(table), row_(row) {}
  double number(const std::string& column);
  std::string text(const std::string& column);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  const CsvTable& table_;
  const CsvTable::Row& row_;
  std::string error_;
};

}  // namespace kappa::quant
