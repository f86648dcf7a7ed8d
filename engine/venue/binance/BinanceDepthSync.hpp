#pragma once
// Order book synchronisation exactly as Binance documents it: a REST snapshot (lastUpdateId) joined
// to the buffered diff-depth stream (U = first update id, u = last update id, pu = the previous
// event's u), per book, on the connector's I/O thread.
//
// Futures rule (USD-M): drop events with u < lastUpdateId; the first applied event must have
// U <= lastUpdateId <= u; then every event's pu must equal the previous event's u.
// Spot rule (the cryptofeed recording in tests/data/binance): no pu; drop events with
// u <= lastUpdateId; the first applied must have U <= lastUpdateId + 1 <= u; then U == previous u + 1.
// Any break marks the book stale (a BookStale event and a resync with the reason) and starts the
// sync again: the breaking event is kept as the first of the new buffer, a snapshot is asked for.
//
// What the engine sees is a consistent change chain (engine/book/MarketData.cpp checks
// prevChangeId == the book's changeId): the snapshot is BookBegin(isSnapshot, changeId =
// lastUpdateId) + its levels + BookEnd; every applied diff is BookBegin(changeId = u, prevChangeId
// = the changeId sent before it: lastUpdateId for the first, the previous u after that, which is pu
// under the futures rule) + levels + BookEnd.
//
// Quantity 0 deletes a level. Binance says a delete for a level we do not hold is normal (beyond
// the snapshot's depth, or already removed by the overlapping first event), so it goes to the
// engine as LevelAction::DeleteIfPresent, which the engine's book ignores for a level it does not
// hold; every quantity above 0 goes as New, which the book takes as "set this level" whether or not
// it holds it. The sync therefore keeps no copy of the book: it only checks and orders the chain.
#include <cstdint>
#include <string>
#include <vector>

#include "book/MarketEvent.hpp"

namespace kappa::binance {

enum class SyncRule : std::uint8_t { Futures, Spot };

// One diff-depth event's sequence fields.
struct DepthUpdateIds {
  std::uint64_t first = 0;     // U
  std::uint64_t last = 0;      // u
  std::uint64_t prevLast = 0;  // pu (futures only)
  Nanos ts = 0;                // the event time (E), or the transaction time (T) when sent
};

// The sync wants a snapshot for this book: fetch GET /fapi/v1/depth and hand it to onSnapshot().
struct SnapshotRequest {
  InstrumentId instrument = kNoInstrument;
  std::string reason;
};

class DepthSync {
 public:
  enum class State : std::uint8_t {
    Idle,       // not synchronised and not buffering (not subscribed, or retired)
    Buffering,  // diffs buffered, waiting for a snapshot
    Bridging,   // snapshot applied, waiting for the first diff that reaches across it
    Live,       // every diff continues the chain
  };

  explicit DepthSync(SyncRule rule = SyncRule::Futures, std::size_t maxBuffered = 20'000);

  // Makes room for ids below `n` (new books start Idle).
  void resize(std::size_t n);
  std::size_t size() const { return books_.size(); }

  // Starts (or restarts) a book's sync: it buffers diffs from now and asks for a snapshot (into
  // `requests`). A book already Live is marked stale in `out` first.
  void start(InstrumentId id, const std::string& reason, std::vector<MdEvent>& out, std::vector<SnapshotRequest>& requests);
  // The book no longer syncs (retired, unsubscribed): Idle, buffer dropped.
  void stop(InstrumentId id);

  // One diff event; `levels` are BookLevel events (side, price, qty; qty 0 = delete) for `id`.
  // Appends what the engine should see to `out`; a break adds a snapshot request.
  void onDiff(InstrumentId id, const DepthUpdateIds& ids, const MdEvent* levels, std::size_t n, std::vector<MdEvent>& out,
              std::vector<SnapshotRequest>& requests);

  enum class SnapshotOutcome : std::uint8_t {
    Applied,  // the book is Bridging or Live
    Stale,    // lastUpdateId is older than the buffered events reach back: another snapshot is asked for
    Ignored,  // the book was not waiting for one (Idle, or already synchronised)
  };
  // The REST snapshot; `levels` are BookLevel events (action New) for `id`.
  SnapshotOutcome onSnapshot(InstrumentId id, std::uint64_t lastUpdateId, const MdEvent* levels, std::size_t n, Nanos ts,
                             std::vector<MdEvent>& out, std::vector<SnapshotRequest>& requests);

  State state(InstrumentId id) const { return id < books_.size() ? books_[id].state : State::Idle; }
  // The last update id applied (the engine's changeId for the book).
  std::uint64_t lastApplied(InstrumentId id) const { return id < books_.size() ? books_[id].lastId : 0; }
  std::size_t buffered(InstrumentId id) const { return id < books_.size() ? books_[id].heads.size() : 0; }

  // Counters.
  std::uint64_t breaks() const { return breaks_; }           // sequence breaks seen while Live/Bridging
  std::uint64_t staleSnapshots() const { return staleSnapshots_; }
  std::uint64_t dropped() const { return dropped_; }         // events older than the snapshot

 private:
  struct BufferedHead {
    DepthUpdateIds ids;
    std::uint32_t offset = 0, count = 0;  // into Book::bufferedLevels
  };
  struct Book {
    State state = State::Idle;
    std::uint64_t lastId = 0;
    std::vector<BufferedHead> heads;
    std::vector<MdEvent> bufferedLevels;
  };

  void buffer(Book& b, const DepthUpdateIds& ids, const MdEvent* levels, std::size_t n);
  void apply(Book& b, InstrumentId id, const DepthUpdateIds& ids, std::uint64_t prev, const MdEvent* levels, std::size_t n,
            std::vector<MdEvent>& out);
  void breakSync(Book& b, InstrumentId id, std::string reason, std::vector<MdEvent>& out, std::vector<SnapshotRequest>& requests);
  // Whether the event may be the first applied after a snapshot with this lastUpdateId.
  bool bridges(const DepthUpdateIds& ids, std::uint64_t snapshotId) const;
  // Whether the event is older than the snapshot (to be dropped).
  bool predates(const DepthUpdateIds& ids, std::uint64_t snapshotId) const;
  // Whether the event continues the chain after `lastId`.
  bool continues(const DepthUpdateIds& ids, std::uint64_t lastId) const;

  SyncRule rule_;
  std::size_t maxBuffered_;
  std::vector<Book> books_;
  std::uint64_t breaks_ = 0, staleSnapshots_ = 0, dropped_ = 0;
};

const char* nameOf(DepthSync::State s);

}  // namespace kappa::binance
