#include "remote/SnapshotCodec.hpp"

#include "remote/SnapshotWire.hpp"

namespace kappa::remote {

using wire::DecodeError;
using wire::json;
using wire::Wire;

namespace {

constexpr std::array<const char*, kSnapshotPartCount> kNames = {"engine", "venues",    "quotes",    "book",       "orders",
                                                                 "fills",  "positions", "analytics", "strategies", "risk"};

// The fields of each part, written and read in this one order: `io(name, &EngineSnapshot::field)`
// for each, where `io` writes, reads or moves the field.
template <class Io>
constexpr void fieldsOf(SnapshotPart part, Io&& io) {
  using S = EngineSnapshot;
  switch (part) {
    case SnapshotPart::Engine:
      io("seq", &S::seq), io("builtWall", &S::builtWall), io("halted", &S::halted), io("tradingState", &S::tradingState);
      io("haltReason", &S::haltReason), io("haltedAt", &S::haltedAt), io("eventsTotal", &S::eventsTotal);
      io("eventsPerSecond", &S::eventsPerSecond), io("venueLagMs", &S::venueLagMs), io("staleEpisodes", &S::staleEpisodes);
      io("ordersTotal", &S::ordersTotal), io("fillsTotal", &S::fillsTotal), io("rejectsTotal", &S::rejectsTotal);
      io("lastReject", &S::lastReject), io("underlyings", &S::underlyings), io("totalPnlUsd", &S::totalPnlUsd);
      io("indexPrice", &S::indexPrice), io("equityBtc", &S::equityBtc), io("dayPnlBtc", &S::dayPnlBtc);
      io("drawdownBtc", &S::drawdownBtc);
      return;
    case SnapshotPart::Venues: io("venues", &S::venues); return;
    case SnapshotPart::Quotes: io("quotes", &S::quotes); return;
    case SnapshotPart::Book: io("focused", &S::focused); return;
    case SnapshotPart::Orders: io("ordersVersion", &S::ordersVersion), io("orders", &S::orders); return;
    case SnapshotPart::Fills: io("fills", &S::fills); return;
    case SnapshotPart::Positions: io("positions", &S::positions); return;
    case SnapshotPart::Analytics: io("analytics", &S::analytics); return;
    case SnapshotPart::Strategies:
      io("strategiesVersion", &S::strategiesVersion), io("plugins", &S::plugins), io("strategies", &S::strategies);
      io("riskEvents", &S::riskEvents);
      return;
    case SnapshotPart::Risk:
      io("limitsEpoch", &S::limitsEpoch), io("limits", &S::limits), io("orderQtyCap", &S::orderQtyCap);
      io("triggers", &S::triggers), io("breaches", &S::breaches), io("breachesVersion", &S::breachesVersion);
      io("riskSource", &S::riskSource), io("riskError", &S::riskError);
      return;
  }
}

// Every field of EngineSnapshot is in exactly one part, except builtMono (a monotonic clock means
// nothing in another process): adding a field to the snapshot fails the build until it has a part.
constexpr std::size_t fieldsInParts() {
  std::size_t n = 0;
  for (SnapshotPart p : kSnapshotParts) fieldsOf(p, [&](const char*, auto) { ++n; });
  return n;
}
static_assert(fieldsInParts() + 1 == wire::aggregateFieldCount<EngineSnapshot>(),
              "a field of EngineSnapshot is in no snapshot part (fieldsOf)");

std::string checkIndex(std::size_t index, std::size_t size, const std::string& what) {
  if (index < size) return {};
  return what + " " + std::to_string(index) + " out of range (" + std::to_string(size) + ")";
}

// The indices the analytics' readers follow without checking (ExpiryAnalytics::options,
// ChainAnalytics::scenario(), fittedExpiries, ...) must point inside their arrays.
std::string checkChain(const analytics::ChainAnalytics& c) {
  for (std::size_t i = 0; i < c.options.size(); ++i)
    if (auto e = checkIndex(c.options[i].expiryIndex, c.expiries.size(), "options[" + std::to_string(i) + "].expiryIndex"); !e.empty())
      return e;
  for (std::size_t x = 0; x < c.expiries.size(); ++x)
    for (std::size_t o : c.expiries[x].options)
      if (auto e = checkIndex(o, c.options.size(), "expiries[" + std::to_string(x) + "].options: option"); !e.empty()) return e;
  for (std::size_t f : c.fittedExpiries)
    if (auto e = checkIndex(f, c.expiries.size(), "fittedExpiries: expiry"); !e.empty()) return e;
  for (const vol::CalendarViolation& v : c.calendar.violations) {
    if (auto e = checkIndex(v.earlier, c.fittedExpiries.size(), "calendar.violations: earlier"); !e.empty()) return e;
    if (auto e = checkIndex(v.later, c.fittedExpiries.size(), "calendar.violations: later"); !e.empty()) return e;
  }
  // Sizes multiplied in 128 bits: three huge axes must not wrap around to the grid's size.
  const unsigned __int128 grid = static_cast<unsigned __int128>(c.scenarioDays.size()) * c.scenarioVolShifts.size() *
                                 c.scenarioSpotShifts.size();
  if (!c.scenarios.empty() && grid != c.scenarios.size())
    return "scenarios: " + std::to_string(c.scenarios.size()) + " for a grid of " + std::to_string(c.scenarioDays.size()) +
           " x " + std::to_string(c.scenarioVolShifts.size()) + " x " + std::to_string(c.scenarioSpotShifts.size());
  for (std::size_t i = 0; i < c.pnlCurves.size(); ++i)
    if (c.pnlCurves[i].spot.size() != c.pnlCurves[i].pnlUsd.size())
      return "pnlCurves[" + std::to_string(i) + "]: " + std::to_string(c.pnlCurves[i].spot.size()) + " spots, " +
             std::to_string(c.pnlCurves[i].pnlUsd.size()) + " PnLs";
  return {};
}

std::string checkAnalytics(const analytics::MarketAnalytics& m) {
  for (std::size_t i = 0; i < m.chains.size(); ++i) {
    if (!m.chains[i]) return "analytics.chains[" + std::to_string(i) + "]: missing";
    if (auto e = checkChain(*m.chains[i]); !e.empty()) return "analytics.chains[" + std::to_string(i) + "]." + e;
  }
  if (!m.usd.empty() && m.usd.size() != m.chains.size())
    return "analytics.usd: " + std::to_string(m.usd.size()) + " for " + std::to_string(m.chains.size()) + " chains";
  return {};
}

// Each focused market names one instrument, not named by another, and carries only its trades; at
// most kMaxFocusedInstruments of them (what one engine's snapshot can carry).
std::string checkFocused(const std::vector<FocusedMarket>& focused) {
  if (focused.size() > kMaxFocusedInstruments)
    return "focused: " + std::to_string(focused.size()) + " instruments (at most " + std::to_string(kMaxFocusedInstruments) + ")";
  for (std::size_t i = 0; i < focused.size(); ++i) {
    const InstrumentId id = focused[i].depth.instrument;
    const std::string where = "focused[" + std::to_string(i) + "]";
    if (id == kNoInstrument) return where + ".depth.instrument: none";
    for (std::size_t j = 0; j < i; ++j)
      if (focused[j].depth.instrument == id)
        return where + ".depth.instrument: instrument " + std::to_string(id) + " again (also focused[" + std::to_string(j) + "])";
    const std::vector<TradePrint>& trades = focused[i].trades;
    for (std::size_t t = 0; t < trades.size(); ++t)
      if (trades[t].instrument != id)
        return where + ".trades[" + std::to_string(t) + "].instrument: " + std::to_string(trades[t].instrument) +
               " in the market of instrument " + std::to_string(id);
  }
  return {};
}

// The first instrument id of the part at or above `known` (kNoInstrument means none and passes).
std::string checkInstrumentIds(SnapshotPart part, const EngineSnapshot& s, std::size_t known) {
  if (known == kUncheckedInstruments) return {};
  std::string bad;
  auto check = [&](InstrumentId id, auto&& where) {
    if (bad.empty() && id != kNoInstrument && id >= known)
      bad = where() + ": instrument " + std::to_string(id) + " is not known (" + std::to_string(known) + " instruments listed)";
  };
  auto at = [](const char* field, std::size_t i, const char* member) {
    return [=] { return std::string(field) + "[" + std::to_string(i) + "]." + member; };
  };
  switch (part) {
    case SnapshotPart::Engine:
      for (std::size_t i = 0; i < s.underlyings.size(); ++i) check(s.underlyings[i].indexId, at("underlyings", i, "indexId"));
      break;
    case SnapshotPart::Quotes:
      for (std::size_t i = 0; i < s.quotes.size(); ++i) check(s.quotes[i].instrument, at("quotes", i, "instrument"));
      break;
    case SnapshotPart::Book:
      for (std::size_t i = 0; i < s.focused.size(); ++i) check(s.focused[i].depth.instrument, at("focused", i, "depth.instrument"));
      break;
    case SnapshotPart::Orders:
      for (std::size_t i = 0; i < s.orders.size(); ++i) check(s.orders[i].request.instrument, at("orders", i, "request.instrument"));
      break;
    case SnapshotPart::Fills:
      for (std::size_t i = 0; i < s.fills.size(); ++i) check(s.fills[i].instrument, at("fills", i, "instrument"));
      break;
    case SnapshotPart::Positions:
      for (std::size_t i = 0; i < s.positions.size(); ++i) check(s.positions[i].instrument, at("positions", i, "instrument"));
      break;
    case SnapshotPart::Analytics:
      if (!s.analytics) break;
      for (const auto& chain : s.analytics->chains) {
        check(chain->indexId, [&] { return "analytics." + chain->underlying + ".indexId"; });
        for (std::size_t i = 0; i < chain->options.size(); ++i) check(chain->options[i].instrument, at("options", i, "instrument"));
        for (std::size_t i = 0; i < chain->positions.size(); ++i)
          check(chain->positions[i].instrument, at("positions", i, "instrument"));
      }
      break;
    default: break;
  }
  return bad;
}

}  // namespace

const char* partName(SnapshotPart part) {
  const auto i = std::size_t(part);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::optional<SnapshotPart> partFromName(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return SnapshotPart(i);
  return std::nullopt;
}

std::string encodePartBody(SnapshotPart part, const EngineSnapshot& snapshot) {
  json body = json::array();
  auto& fields = body.get_ref<json::array_t&>();
  fieldsOf(part, [&](const char*, auto member) {
    using T = std::decay_t<decltype(snapshot.*member)>;
    Wire<T>::put(fields.emplace_back(), snapshot.*member);
  });
  std::string bytes;
  json::to_msgpack(body, nlohmann::detail::output_adapter<char>(bytes));
  return bytes;
}

std::string framePart(SnapshotPart part, std::uint64_t seq, Nanos publishedWall, std::string_view body) {
  // The header's four values as a MessagePack array of five whose last element is the body
  // (already encoded): fixarray markers are 0x90 | count.
  std::string bytes;
  json::to_msgpack(json::array({kSnapshotWireVersion, std::uint64_t(part), seq, publishedWall}),
                   nlohmann::detail::output_adapter<char>(bytes));
  bytes[0] = char(0x95);
  bytes.append(body);
  return bytes;
}

std::string encodePart(SnapshotPart part, const EngineSnapshot& snapshot, Nanos publishedWall) {
  return framePart(part, snapshot.seq, publishedWall, encodePartBody(part, snapshot));
}

std::string decodePart(SnapshotPart part, std::string_view bytes, EngineSnapshot& into, PartHeader* header,
                       std::size_t knownInstruments) {
  const std::string name = std::size_t(part) < kNames.size() ? kNames[std::size_t(part)] : "part " + std::to_string(int(part));
  if (std::size_t(part) >= kNames.size()) return "unknown part " + std::to_string(int(part));
  if (bytes.size() > kMaxPartBytes)
    return name + ": message of " + std::to_string(bytes.size()) + " bytes (at most " + std::to_string(kMaxPartBytes) + ")";
  json message;
  std::string error;
  if (!wire::parseMessagePack(bytes, message, error)) return name + ": " + error;
  try {
    if (!message.is_array() || message.size() != 5)
      return name + ": not a snapshot part (expected [version, part, seq, publishedWall, body])";
    std::uint32_t version = 0;
    std::uint8_t sentPart = 0;
    PartHeader h;
    try {
      Wire<std::uint32_t>::get(message[0], version);
    } catch (DecodeError& e) {
      return name + ": version: " + e.message();
    }
    if (version != kSnapshotWireVersion)
      return name + ": wire format version " + std::to_string(version) + " (this build reads " +
             std::to_string(kSnapshotWireVersion) + ")";
    try {
      Wire<std::uint8_t>::get(message[1], sentPart);
      Wire<std::uint64_t>::get(message[2], h.seq);
      Wire<Nanos>::get(message[3], h.publishedWall);
    } catch (DecodeError& e) {
      return name + ": header: " + e.message();
    }
    if (sentPart != std::uint8_t(part))
      return name + ": the message is the '" + partName(SnapshotPart(sentPart)) + "' part";
    h.part = part;

    wire::DecodeBudget budget(wire::decodeBudgetFor(bytes.size()));
    EngineSnapshot decoded;  // defaults for whatever an older sender's shorter body lacks
    wire::FieldReader reader(message[4], "the part's body");
    fieldsOf(part, [&](const char* field, auto member) { reader.next(field, decoded.*member); });
    if (part == SnapshotPart::Analytics && decoded.analytics)
      if (auto e = checkAnalytics(*decoded.analytics); !e.empty()) return name + ": " + e;
    if (part == SnapshotPart::Book)
      if (auto e = checkFocused(decoded.focused); !e.empty()) return name + ": " + e;
    if (auto e = checkInstrumentIds(part, decoded, knownInstruments); !e.empty()) return name + ": " + e;

    fieldsOf(part, [&](const char*, auto member) { into.*member = std::move(decoded.*member); });
    if (header) *header = h;
    return {};
  } catch (DecodeError& e) {
    return name + ": " + e.message();
  } catch (const std::exception& e) {  // allocation failure or a library check: still a reason, not a crash
    return name + ": " + e.what();
  }
}

void movePart(SnapshotPart part, EngineSnapshot& from, EngineSnapshot& into) {
  fieldsOf(part, [&](const char*, auto member) { into.*member = std::move(from.*member); });
}

std::optional<std::string> PartChangeTracker::changed(SnapshotPart part, const EngineSnapshot& snapshot) {
  Last& last = last_[std::size_t(part)];
  if (last.known) {
    if (part == SnapshotPart::Orders && last.version == snapshot.ordersVersion) return std::nullopt;
    if (part == SnapshotPart::Analytics && last.identity == snapshot.analytics) return std::nullopt;
  }
  std::string body = encodePartBody(part, snapshot);
  last.version = snapshot.ordersVersion;
  last.identity = snapshot.analytics;
  if (last.known && body == last.body) return std::nullopt;
  last.known = true;
  last.body = body;
  return body;
}

void PartChangeTracker::reset() { last_ = {}; }

}  // namespace kappa::remote
