#pragma once
// The halt marker and spill file next to the journal (<journal>.spill): what keeps "nothing traded
// unrecorded, comes back HALTED" true when SQLite cannot write (disk full, I/O error).
//
// It is pre-allocated (zeros actually written, so its blocks exist) whenever the journal opens.
// The moment the journal fails, the writer thread puts a header line there — the halt marker:
// session, time and reason — and fsyncs it; every record accepted before or after the failure that
// SQLite did not commit (the failed batch itself: intents of orders that left, their fills; then
// the fills, cancels and the HALTED state change that follow) is appended as a line and fsynced.
// Writing into blocks the file already owns needs no free space. At the next start the journal
// imports the spilled records into SQLite (idempotently, marked by a risk_event row naming the
// section) with a HALTED state change, so the restart comes back HALTED with every fill in its
// positions; then the file is wiped and pre-allocated again.
//
// Format, one line each, fields separated by tabs, "\N" for NULL, text escaped (\\ \t \n \r \0):
//   #halt <TAB> section-id <TAB> session <TAB> ts <TAB> reason      (a section: one failure)
//   session ts kind order_id instrument strategy side price qty value text venue  (a journal row)
// (a row of 11 fields, without the venue, is one written before schema 3: its venue is NULL)
// The file is untrusted at restart: a damaged line ends the reading with a warning.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kappa {

// One journal row as its columns hold it.
struct JournalRow {
  std::int64_t session = 0;
  std::int64_t ts = 0;
  std::string kind;
  std::optional<std::int64_t> order, strategy;
  std::optional<std::string> instrument, side, text;
  std::optional<std::string> venue;  // the instrument's venue name ("deribit"); NULL: not known
  std::int64_t price = 0, qty = 0;
  double value = 0;
};

std::string encodeSpillRow(const JournalRow& row);  // one line, without the newline
bool decodeSpillRow(std::string_view line, JournalRow* row);

struct SpillSection {
  std::string id;  // "<session>-<ts>": what the import marks as imported
  std::int64_t session = 0, ts = 0;
  std::string reason;
  std::vector<JournalRow> rows;
};

struct SpillContents {
  std::vector<SpillSection> sections;
  std::string warning;  // a damaged or unreadable part (what was before it is kept)
  bool empty() const { return sections.empty(); }
};

// The sections of the spill file at `path` (none if it is missing, wiped or unreadable).
SpillContents readSpill(const std::string& path);
std::string spillPathFor(const std::string& journalPath);
// The risk_event text that marks a section as imported into the journal.
std::string spillImportedText(const SpillSection& section);

// The writer side (the journal's writer thread only).
class SpillFile {
 public:
  SpillFile() = default;
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // The file; content already there (a section not imported yet) is kept: writing goes after it.
  void bind(const std::string& path);
  // Zeros over `bytes` after the content, fsynced (file and directory): the reserve a failure
  // writes into.
  bool prepare(std::size_t bytes, std::string* error);
  // Empties the file (its sections were imported); prepare() then pre-allocates it again.
  bool wipe(std::string* error);
  // The halt marker: a new section's header, fsynced.
  bool begin(std::int64_t session, std::int64_t ts, const std::string& reason, std::string* error);
  // Lines appended and fsynced; false if they could not all be written (nothing is half-counted:
  // a line is either whole in the file or the call fails).
  bool append(const std::vector<JournalRow>& rows, std::string* error);
  bool begun() const { return begun_; }

 private:
  bool write(const std::string& bytes, std::string* error);
  bool open(std::string* error);
  std::string path_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;  // where the next line goes (the first zero byte)
  bool begun_ = false;
};

}  // namespace kappa
