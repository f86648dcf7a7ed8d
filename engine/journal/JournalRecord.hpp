#pragma once
// One fact for the journal: an order's intent, ack, reject, fill, cancel or replace, a position
// snapshot, a risk event, a trading-state or limit change, a plugin load or a parameter change.
// One flat shape for all kinds keeps the hot-path hand-over a single move; `text` carries what
// varies (a reason, a tag, a SHA-256, "name=value").
#include <cstdint>
#include <string>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

enum class JournalKind : std::uint8_t {
  OrderIntent,       // written before the order leaves: everything needed to recognise it later
  OrderAck,
  OrderReject,
  Fill,              // price, qty, value = fee
  CancelRequest,
  Cancelled,
  Replace,           // price, qty = the new values
  PositionSnapshot,  // qty, value = realized PnL
  RiskEvent,
  StateChange,       // text: "ACTIVE -> HALTED: reason (by whom)"
  LimitChange,
  PluginLoad,        // text: path and SHA-256
  ParamChange,       // text: "name=value"
  StrategySetup,     // text: the whole strategy set-up as JSON (plugins; instances, their parameters)
  Command,           // text: a command from outside this process and who sent it ("alice: halt ...")
  // A venue's own fact (VenueJournalEntry, Venue.hpp): order = its key, text = its body, `venue`
  // says whose. Written to the venue_record table, not to `journal`: it is not one of the kinds
  // the audit view filters the journal table by (kJournalKinds counts those).
  VenueRecord,
};
inline constexpr int kJournalKinds = 15;
const char* nameOf(JournalKind kind);

struct JournalRecord {
  JournalKind kind = JournalKind::RiskEvent;
  Nanos ts = 0;
  OrderId order = 0;
  InstrumentId instrument = kNoInstrument;
  std::uint32_t strategy = 0;  // instance id, 0 = none
  Side side = Side::Buy;
  VenueId venue = 0;  // VenueRecord only: the venue whose record it is (other kinds: by instrument)
  Price price = 0;
  Qty qty = 0;
  double value = 0;
  std::string text;
};

}  // namespace kappa
