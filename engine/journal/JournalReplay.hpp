#pragma once
// What a restart rebuilds from the journal that earlier sessions left: the fills (positions are
// their sum), where order numbering continues (ids stay unique across sessions, so the journal
// and a venue that kept running can be reconciled), and the trading state — a terminal that was
// HALTED when it stopped or crashed starts HALTED. Read before this session's journal opens;
// records a failed journal spilled next to it (journal/JournalSpill.hpp) count as journaled, and
// its halt marker as a session that ended HALTED.
#include <string>
#include <vector>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

struct JournalState {
  // Every fill, order and position carries the venue whose instrument it is (its name, as the
  // engine named it: "sim", "deribit"), since names are unique per venue only. Empty: a row
  // written before the journal recorded venues (schema < 3): the bare name is all there is.
  struct FillRow {
    std::string instrument;
    std::string venue;
    Side side = Side::Buy;
    Price price = 0;
    Qty qty = 0;
    double fee = 0;
    OrderId order = 0;
    Nanos ts = 0;
  };
  std::vector<FillRow> fills;  // every journaled fill, oldest first
  // Fees paid without a fill (an on-chain swap's gas when it reverted, a cancel's self-transfer):
  // order_reject and cancelled rows whose value is not 0, as rows with qty 0 and the fee. Oldest first.
  std::vector<FillRow> feesWithoutFills;
  // Orders whose intent is journaled but not their end (no reject, no cancel, not fully filled):
  // in flight or working when a session ended. Unknown until the venue answers for them.
  struct UnresolvedOrder {
    OrderId id = 0;
    std::string instrument;
    std::string venue;
    Side side = Side::Buy;
    Price price = 0;
    Qty qty = 0, filled = 0;
    std::uint32_t strategy = 0;
    Nanos ts = 0;
    std::string text;  // the intent's: type, time in force, origin, tag
  };
  std::vector<UnresolvedOrder> unresolved;
  // Limits switched at run time since the last session loaded its limits ("NAME=VALUE (by who)"),
  // oldest first: re-applied over risk.json so that a switch stays switched.
  std::vector<std::string> limitChanges;
  // The last UTC day with trading in the journal, and its counts (for the daily limits).
  std::int64_t lastDay = -1;
  std::uint64_t dayOrders = 0, dayCancels = 0, dayFills = 0;
  // The equity the last UTC day started from (for the daily-loss trigger); day -1 if none.
  std::int64_t equityDay = -1;
  double dayStartEquity = 0;
  // The last trading day's history for the Orders and Fills tabs (newest first, at most
  // kHistoryRows each): orders that ended (refused, cancelled, filled) and the fills.
  static constexpr int kHistoryRows = 200;
  struct FinishedOrder {
    OrderId id = 0;
    std::string instrument;
    std::string venue;
    Side side = Side::Buy;
    Price price = 0;
    Qty qty = 0, filled = 0;
    double avgFillPrice = 0;  // in price units
    std::uint32_t strategy = 0;
    Nanos ts = 0, endTs = 0;
    std::string intent;       // the intent's text: type, time in force, origin, tag
    enum class End : std::uint8_t { Rejected, Cancelled, Filled } end = End::Filled;
    std::string reason;
  };
  std::vector<FinishedOrder> historyOrders;
  std::vector<FillRow> historyFills;
  // Venues' own records (venue_record, schema 4): the newest body per venue and key, oldest key
  // first (a failed journal's spill file: its newer ones replace the table's). Handed to each
  // venue before it connects (Venue::restoreJournal); the engine reads nothing in them.
  struct VenueEntry {
    std::string venue;
    std::uint64_t key = 0;
    std::string body;
  };
  std::vector<VenueEntry> venueEntries;
  // The last journaled strategy set-up (StrategyHost::setupJson), empty if none.
  std::string strategySetup;
  // The largest order id in the journal; ids continue after it. A journal holding ids that were
  // written past the largest it can store (negative in SQLite) says kMaxOrderId: none is left.
  OrderId maxOrderId = 0;
  // Rows that cannot be trusted, skipped: "seq 42 (fill): side 'x' is neither buy nor sell".
  // A restart with any comes up HALTED (what it restored may be incomplete).
  std::vector<std::string> damaged;  // the first 100 of them
  std::size_t damagedRows = 0;
  bool halted = false;
  std::string lastStateChange;  // its text, e.g. "HALTED: SIGUSR1"
  std::size_t sessions = 0;
  std::vector<std::string> warnings;  // parts of the spill file that could not be read
};

// A missing file is an empty state (first start). False with `error` when the file exists but
// cannot be read. Rows are untrusted input (a damaged disk, a hand edit): a row whose side,
// numbers or text cannot be what kappa wrote is skipped and listed in `damaged`, never guessed.
bool readJournalState(const std::string& path, JournalState* out, std::string* error);

}  // namespace kappa
