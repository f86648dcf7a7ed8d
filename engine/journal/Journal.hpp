#pragma once
// The journal: every order intent, execution, risk event, state and limit change, plugin load and
// parameter change, in SQLite (WAL) at <data-dir>/journal.sqlite, with a versioned schema that
// migrates forward on open.
//
// The engine thread only moves a record into a lock-free single-producer queue (no I/O, no lock);
// a writer thread drains it in batches, one transaction per batch. If the journal cannot be
// written — the file cannot be opened, the disk is full, the directory is read-only, the queue
// overflows because the disk cannot keep up — failed() turns true with a message naming the file
// and the cause, and the engine halts rather than trade unrecorded. From that moment the halt
// marker and every record SQLite did not take (the failed batch, the fills and the halt that come
// after) go to the pre-allocated spill file next to it (journal/JournalSpill.hpp), fsynced; the
// next start imports them and comes back HALTED. Order intents are refused once failed: an order
// whose intent is not journaled does not leave.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

#include "core/Instrument.hpp"
#include "journal/JournalRecord.hpp"
#include "journal/JournalSpill.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kappa {

struct JournalOptions {
  std::size_t queueCapacity = 1 << 18;  // records in flight between the engine and the writer
  std::size_t maxBatch = 16384;         // records per transaction
  long maxPageCount = 0;                // > 0: SQLite's page limit (tests use it to make the disk "full")
  std::size_t spillBytes = 1 << 20;     // the spill file's reserve, written at open (~5,000 records)
};

class Journal {
 public:
  static constexpr int kSchemaVersion = 4;

  // Opens (creating and migrating as needed) and starts the writer thread. Never throws: a journal
  // that cannot be opened is failed() from the start. `venueNames` by VenueId (the engine's venue
  // list): every row about an instrument records its venue's name beside the instrument's, because
  // names are unique per venue only (two venues list BTC-PERPETUAL). An instrument whose venue has
  // no name here is journaled with a NULL venue (restored by its bare name, as before schema 3).
  Journal(std::string path, const InstrumentRegistry& instruments, JournalOptions options = {},
          std::vector<std::string> venueNames = {});
  // An instrument listed while running (its id is the registry's next): records about it carry
  // its name and its venue's. Any thread. The two-argument form reads the venue from the registry
  // the journal was opened with (the caller has just read the instrument there): that registry
  // must then outlive the journal, as the engine's does (a journal opened on a temporary registry
  // must use the three-argument form).
  void addInstrument(InstrumentId id, std::string name, VenueId venue);
  void addInstrument(InstrumentId id, std::string name);
  ~Journal();  // writes what is queued, then joins
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Engine thread (the single producer). False when the record could not be queued (the journal
  // failed, or its queue is full: then it fails too).
  bool append(JournalRecord record);

  // Any thread: blocks until everything appended before the call is committed to SQLite or, once
  // the journal failed, to the spill file (or until neither can take it). For shutdown, tests and
  // benchmarks, never for the engine thread.
  void flush() const;

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string failure() const;
  std::uint64_t committed() const { return committed_.load(std::memory_order_acquire); }
  // Records written to the spill file since the failure, and records held in memory because not
  // even the spill file took them (retried).
  std::uint64_t spilled() const { return spilled_.load(std::memory_order_acquire); }
  std::uint64_t unrecorded() const { return held_.load(std::memory_order_acquire); }
  std::string spillPath() const { return spillPathFor(path_); }
  std::int64_t sessionId() const { return session_; }
  const std::string& path() const { return path_; }

 private:
  void open();
  void migrate();
  void run();
  JournalRow rowOf(const JournalRecord& record) const;
  bool writeBatch(const JournalRow* rows, std::size_t n);
  bool insertRow(const JournalRow& row);
  bool insertVenueRow(const JournalRow& row);
  bool importSpill();
  void beginSpill();
  void spill(const JournalRow* rows, std::size_t n);
  void retrySpill();
  void fail(const std::string& why);
  bool exec(const char* sql);

  std::string path_;
  // By instrument id, as the registry named them: the journal stores names, never ids, so a later
  // session with a different instrument set resolves them by name. Grows while running
  // (addInstrument, engine thread) and is read by the writer thread: guarded by namesMutex_.
  std::vector<std::string> instrumentNames_;
  std::vector<std::optional<std::string>> instrumentVenues_;  // by instrument id, beside the name
  const std::vector<std::string> venueNames_;                 // by VenueId
  const InstrumentRegistry& registry_;
  mutable std::mutex namesMutex_;
  JournalOptions options_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* insertVenue_ = nullptr;  // venue_record
  std::int64_t session_ = 0;
  boost::lockfree::spsc_queue<JournalRecord> queue_;
  std::atomic<std::uint64_t> appended_{0}, committed_{0}, spilled_{0}, held_{0};
  std::atomic<bool> spillStuck_{false};  // records held that not even the spill file takes
  SpillFile spillFile_;                  // writer thread (and open())
  std::vector<JournalRow> heldRows_;     // writer thread
  std::chrono::steady_clock::time_point lastSpillTry_{}, lastMarkerTry_{};
  bool spillTried_ = false;  // the halt marker was attempted (retried every 200 ms until written)
  std::atomic<bool> failed_{false}, stopping_{false};
  mutable std::mutex mutex_;  // failure_, and the flush/wake condition
  mutable std::condition_variable progress_;
  std::string failure_;
  std::thread writer_;
};

}  // namespace kappa
