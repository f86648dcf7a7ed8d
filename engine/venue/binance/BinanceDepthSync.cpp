#include "venue/binance/BinanceDepthSync.hpp"

#include <algorithm>
#include <functional>

namespace kappa::binance {

const char* nameOf(DepthSync::State s) {
  switch (s) {
    case DepthSync::State::Idle: return "idle";
    case DepthSync::State::Buffering: return "buffering";
    case DepthSync::State::Bridging: return "bridging";
    case DepthSync::State::Live: return "live";
  }
  return "?";
}

DepthSync::DepthSync(SyncRule rule, std::size_t maxBuffered) : rule_(rule), maxBuffered_(std::max<std::size_t>(16, maxBuffered)) {}

void DepthSync::resize(std::size_t n) {
  if (n > books_.size()) books_.resize(n);
}

bool DepthSync::predates(const DepthUpdateIds& ids, std::uint64_t snapshotId) const {
  return rule_ == SyncRule::Futures ? ids.last < snapshotId : ids.last <= snapshotId;
}

bool DepthSync::bridges(const DepthUpdateIds& ids, std::uint64_t snapshotId) const {
  const std::uint64_t next = rule_ == SyncRule::Futures ? snapshotId : snapshotId + 1;
  if (ids.first <= next && next <= ids.last) return true;
  // The snapshot ended exactly where an event we never saw ended (taken while the stream was
  // quiet): the next event then follows it directly — pu is its lastUpdateId (spot: U is the next
  // id). Binance's rule above covers the usual overlap; this is the same continuity, stated exactly.
  return continues(ids, snapshotId);
}

bool DepthSync::continues(const DepthUpdateIds& ids, std::uint64_t lastId) const {
  return rule_ == SyncRule::Futures ? ids.prevLast == lastId : ids.first == lastId + 1;
}

void DepthSync::start(InstrumentId id, const std::string& reason, std::vector<MdEvent>& out,
                      std::vector<SnapshotRequest>& requests) {
  resize(std::size_t(id) + 1);
  Book& b = books_[id];
  if (b.state == State::Live || b.state == State::Bridging) {
    MdEvent e;
    e.type = MdType::BookStale;
    e.instrument = id;
    out.push_back(e);
  }
  b.state = State::Buffering;
  b.heads.clear();
  b.bufferedLevels.clear();
  requests.push_back({id, reason});
}

void DepthSync::stop(InstrumentId id) {
  if (id >= books_.size()) return;
  Book& b = books_[id];
  b.state = State::Idle;
  b.heads.clear();
  b.bufferedLevels.clear();
  b.heads.shrink_to_fit();
  b.bufferedLevels.shrink_to_fit();
}

void DepthSync::buffer(Book& b, const DepthUpdateIds& ids, const MdEvent* levels, std::size_t n) {
  if (b.heads.size() >= maxBuffered_) {
    // The snapshot is long in coming: what is buffered is too old to matter now. Starting the
    // buffer afresh only means the snapshot, when it comes, must be newer than these events.
    b.heads.clear();
    b.bufferedLevels.clear();
  }
  BufferedHead h;
  h.ids = ids;
  h.offset = std::uint32_t(b.bufferedLevels.size());
  h.count = std::uint32_t(n);
  b.bufferedLevels.insert(b.bufferedLevels.end(), levels, levels + n);
  b.heads.push_back(h);
}

void DepthSync::apply(Book& b, InstrumentId id, const DepthUpdateIds& ids, std::uint64_t prev, const MdEvent* levels,
                     std::size_t n, std::vector<MdEvent>& out) {
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.instrument = id;
  begin.changeId = ids.last;
  begin.prevChangeId = prev;
  begin.ts = ids.ts;
  out.push_back(begin);
  // The levels in one copy, then stamped in place (no per-level capacity check).
  const std::size_t first = out.size();
  out.insert(out.end(), levels, levels + n);
  // Quantity 0 may name a level the book never held (normal at Binance): the book decides.
  // (A table, not a branch: deletes come at random, a mispredicted branch cost more than the copy.)
  static constexpr LevelAction kAction[2] = {LevelAction::New, LevelAction::DeleteIfPresent};
  for (MdEvent* e = out.data() + first, *last = out.data() + out.size(); e != last; ++e) {
    e->type = MdType::BookLevel;
    e->instrument = id;
    e->ts = ids.ts;
    e->action = kAction[e->qty == 0];
  }
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = id;
  end.changeId = ids.last;
  end.ts = ids.ts;
  out.push_back(end);
  b.lastId = ids.last;
  b.state = State::Live;
}

void DepthSync::breakSync(Book& b, InstrumentId id, std::string reason, std::vector<MdEvent>& out,
                          std::vector<SnapshotRequest>& requests) {
  ++breaks_;
  start(id, reason, out, requests);
  (void)b;
}

void DepthSync::onDiff(InstrumentId id, const DepthUpdateIds& ids, const MdEvent* levels, std::size_t n,
                       std::vector<MdEvent>& out, std::vector<SnapshotRequest>& requests) {
  if (id >= books_.size()) return;
  Book& b = books_[id];
  switch (b.state) {
    case State::Idle:
      return;
    case State::Buffering:
      buffer(b, ids, levels, n);
      return;
    case State::Bridging:
      if (predates(ids, b.lastId)) {
        ++dropped_;
        return;
      }
      if (!bridges(ids, b.lastId)) {
        breakSync(b, id,
                  "the first event after the snapshot (U " + std::to_string(ids.first) + ") does not reach back to its lastUpdateId " +
                      std::to_string(b.lastId),
                  out, requests);
        buffer(books_[id], ids, levels, n);
        return;
      }
      apply(b, id, ids, b.lastId, levels, n, out);
      return;
    case State::Live:
      if (continues(ids, b.lastId)) {
        apply(b, id, ids, b.lastId, levels, n, out);
        return;
      }
      if (ids.last <= b.lastId) {  // already applied (a repeat): nothing new in it
        ++dropped_;
        return;
      }
      breakSync(b, id,
                rule_ == SyncRule::Futures
                    ? "pu " + std::to_string(ids.prevLast) + " is not the previous u " + std::to_string(b.lastId)
                    : "U " + std::to_string(ids.first) + " does not follow the previous u " + std::to_string(b.lastId),
                out, requests);
      buffer(books_[id], ids, levels, n);
      return;
  }
}

DepthSync::SnapshotOutcome DepthSync::onSnapshot(InstrumentId id, std::uint64_t lastUpdateId, const MdEvent* levels,
                                                 std::size_t n, Nanos ts, std::vector<MdEvent>& out,
                                                 std::vector<SnapshotRequest>& requests) {
  if (id >= books_.size() || books_[id].state != State::Buffering) return SnapshotOutcome::Ignored;
  Book& b = books_[id];
  // Events the snapshot already contains go; the first one left must reach across it.
  std::size_t first = 0;
  while (first < b.heads.size() && predates(b.heads[first].ids, lastUpdateId)) {
    ++first;
    ++dropped_;
  }
  if (first < b.heads.size() && !bridges(b.heads[first].ids, lastUpdateId)) {
    // The stream has moved past the snapshot: updates between them are in neither. Keep
    // buffering (those events stay useful) and ask again.
    ++staleSnapshots_;
    const DepthUpdateIds h = b.heads[first].ids;
    b.heads.erase(b.heads.begin(), b.heads.begin() + std::ptrdiff_t(first));
    requests.push_back({id, "stale snapshot: lastUpdateId " + std::to_string(lastUpdateId) +
                                " is older than the buffered stream (U " + std::to_string(h.first) + ")"});
    return SnapshotOutcome::Stale;
  }
  // The buffered events must chain among themselves too; a gap inside the buffer means the
  // snapshot cannot be joined to what follows the gap.
  for (std::size_t i = first + 1; i < b.heads.size(); ++i) {
    if (!continues(b.heads[i].ids, b.heads[i - 1].ids.last)) {
      ++breaks_;
      ++staleSnapshots_;
      b.heads.erase(b.heads.begin(), b.heads.begin() + std::ptrdiff_t(i));
      requests.push_back({id, "gap in the buffered stream before u " + std::to_string(b.heads.front().ids.last)});
      return SnapshotOutcome::Stale;
    }
  }
  // The snapshot itself.
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.isSnapshot = true;
  begin.instrument = id;
  begin.changeId = lastUpdateId;
  begin.ts = ts;
  out.push_back(begin);
  for (std::size_t i = 0; i < n; ++i) {
    if (levels[i].qty <= 0 || levels[i].price <= 0) continue;
    MdEvent e = levels[i];
    e.type = MdType::BookLevel;
    e.action = LevelAction::New;
    e.instrument = id;
    e.ts = ts;
    out.push_back(e);
  }
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = id;
  end.changeId = lastUpdateId;
  end.ts = ts;
  out.push_back(end);
  b.lastId = lastUpdateId;
  b.state = State::Bridging;
  // Then the buffered events, through the same rules as live ones (the first one bridges).
  std::vector<BufferedHead> heads;
  std::vector<MdEvent> bufferedLevels;
  heads.swap(b.heads);
  bufferedLevels.swap(b.bufferedLevels);
  for (std::size_t i = first; i < heads.size(); ++i)
    onDiff(id, heads[i].ids, bufferedLevels.data() + heads[i].offset, heads[i].count, out, requests);
  // Keep the capacity for the next time this book buffers (if the diffs did not restart it).
  if (books_[id].heads.empty()) {
    heads.clear();
    bufferedLevels.clear();
    books_[id].heads.swap(heads);
    books_[id].bufferedLevels.swap(bufferedLevels);
  }
  return SnapshotOutcome::Applied;
}

}  // namespace kappa::binance
