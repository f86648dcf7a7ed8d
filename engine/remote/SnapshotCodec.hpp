#pragma once
// An EngineSnapshot cut into parts for the wire (kappa.<engine>.state.<part>, KV kappa_engines
// <engine>.<part>): each part is published when it changed, as MessagePack bytes, and decoded into
// the attached side's EngineSnapshot without touching the other parts' fields. MessagePack keeps
// NaN and the infinities (orderQtyCap's NaN = no limit) and is compact. No Qt, no nlohmann in this
// header.
//
// A message is [format version, part, snapshot seq, published wall time, body]. Decoding is
// untrusted input: a malformed, truncated, mis-addressed or out-of-range message gives a reason
// naming the part and the field ("quotes: [12].bid: expected a number, got string") and leaves
// `into` unchanged; it never crashes. Indices inside the analytics (an expiry's options, the
// scenario grid) are checked against their arrays; instrument ids against the attaching side's
// registry when decodePart is given its size. The book part's focused markets must each name one
// instrument, a different one, with only that instrument's trades, and at most
// kMaxFocusedInstruments of them: a view finds its own instrument's entry and never another's.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/EngineSnapshot.hpp"

namespace kappa::remote {

enum class SnapshotPart : std::uint8_t { Engine, Venues, Quotes, Book, Orders, Fills, Positions, Analytics, Strategies, Risk };
inline constexpr std::size_t kSnapshotPartCount = 10;
inline constexpr std::array<SnapshotPart, kSnapshotPartCount> kSnapshotParts = {
    SnapshotPart::Engine, SnapshotPart::Venues,    SnapshotPart::Quotes,    SnapshotPart::Book,       SnapshotPart::Orders,
    SnapshotPart::Fills,  SnapshotPart::Positions, SnapshotPart::Analytics, SnapshotPart::Strategies, SnapshotPart::Risk};

// "engine", "venues", "quotes", "book", "orders", "fills", "positions", "analytics", "strategies", "risk":
// the last token of the state subject and of the KV key.
const char* partName(SnapshotPart part);
std::optional<SnapshotPart> partFromName(std::string_view name);

// Bumped when a change is not an append of fields (a decoder refuses other versions).
// 2: the book part carries every focused instrument (focused), not one depth, trades and candles.
inline constexpr std::uint32_t kSnapshotWireVersion = 2;
// Larger messages are refused before parsing (the simulator's BTC+ETH analytics are ~113 KB).
inline constexpr std::size_t kMaxPartBytes = 16u << 20;

// Which fields each part carries:
//  engine     seq, builtWall, halted, tradingState, haltReason, haltedAt, eventsTotal, eventsPerSecond,
//             venueLagMs, staleEpisodes, ordersTotal, fillsTotal, rejectsTotal, lastReject, underlyings,
//             totalPnlUsd, indexPrice, equityBtc, dayPnlBtc, drawdownBtc (publishedWall in the header)
//  venues     venues                        quotes     quotes
//  book       focused                       orders     ordersVersion, orders
//  fills      fills                         positions  positions
//  analytics  analytics (null: none yet)
//  strategies strategiesVersion, plugins, strategies, riskEvents
//  risk       limitsEpoch, limits, orderQtyCap, triggers, breaches, breachesVersion, riskSource, riskError
// builtMono is not sent (another process's monotonic clock means nothing here).

// The part's fields alone (no header): what a publisher compares to tell whether the part changed.
std::string encodePartBody(SnapshotPart part, const EngineSnapshot& snapshot);
// The message: the header (version, part, seq, publishedWall) followed by an encoded body.
std::string framePart(SnapshotPart part, std::uint64_t seq, Nanos publishedWall, std::string_view body);
// framePart(part, snapshot.seq, publishedWall, encodePartBody(part, snapshot)).
std::string encodePart(SnapshotPart part, const EngineSnapshot& snapshot, Nanos publishedWall);

struct PartHeader {
  SnapshotPart part = SnapshotPart::Engine;
  std::uint64_t seq = 0;      // the snapshot the part was cut from
  Nanos publishedWall = 0;    // the publisher's wall clock when it sent it
};

inline constexpr std::size_t kUncheckedInstruments = ~std::size_t(0);

// "" and the part's fields of `into` replaced; or the reason, and `into` untouched. `header`, if
// given, receives the message's header (only on success). `knownInstruments`: every instrument id
// in the part (quotes, depth, trades, orders, fills, positions, underlyings' indices, analytics)
// must be below it or kNoInstrument, so views indexing their InstrumentRegistry by a decoded id stay
// inside it: pass the attaching side's registry size() (a part naming an instrument whose listing
// has not arrived yet is refused; apply the instrument list first). The default checks nothing.
std::string decodePart(SnapshotPart part, std::string_view bytes, EngineSnapshot& into, PartHeader* header = nullptr,
                       std::size_t knownInstruments = kUncheckedInstruments);

// The part's fields moved from `from` into `into` (the others untouched): applies a part decoded
// apart (into a scratch snapshot) once the receiver decided to take it.
void movePart(SnapshotPart part, EngineSnapshot& from, EngineSnapshot& into);

// For a publisher: whether a part changed since it was last published, without encoding when the
// snapshot says so cheaply (orders: ordersVersion; analytics: the same shared result), else by
// comparing the encoded body with the last one published. Remembers what it was last given.
class PartChangeTracker {
 public:
  // The part's body if it changed since the last call for this part (or the first time), else nullopt.
  std::optional<std::string> changed(SnapshotPart part, const EngineSnapshot& snapshot);
  void reset();  // everything counts as changed next time (a new subscriber, a reconnect)

 private:
  struct Last {
    bool known = false;
    std::string body;
    std::uint64_t version = 0;
    std::shared_ptr<const void> identity;  // held, so a new result can never reuse its address
  };
  std::array<Last, kSnapshotPartCount> last_{};
};

}  // namespace kappa::remote
