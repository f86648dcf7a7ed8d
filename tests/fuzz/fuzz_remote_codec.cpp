// libFuzzer harness: the remote engine's decoders (engine/remote) fed what a hostile or broken
// peer could send. Input byte 0 picks the target:
//   0..9   a snapshot part (SnapshotPart), raw bytes
//   10..19 the same part's valid encoding of a small but complete snapshot, then edited by the
//          input (pairs of position, byte; a truncation) so that the mutations reach deep fields
//   20     an instrument list, decoded then applied to a registry
//   21     a command: byte 1 picks the verb, the rest is the body; 22: a command answer
// A decode either fails with a reason or gives a value that encodes and decodes again to the very
// same bytes; anything else (a crash, UB, a non-repeatable value) aborts.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remote/CommandCodec.hpp"
#include "remote/InstrumentCodec.hpp"
#include "remote/SnapshotCodec.hpp"

namespace {
using namespace kappa;
using namespace kappa::remote;

EngineSnapshot smallSnapshot() {
  EngineSnapshot s;
  s.seq = 3;
  s.haltReason = "x";
  s.underlyings = {UnderlyingRow{"BTC", 0, 70000, 0.1, 7000}};
  VenueRow v;
  v.name = "sim";
  v.accounts = {AccountRow{VenueAccount{"BTC", 1, 1, 0, 0, 1, 2}, 3}};
  v.summary.accounts = {VenueAccount{"ETH", 1, 1, 0, 0, 1, 2}};
  s.venues = {v};
  s.quotes = {QuoteRow{0, 100, 200, 150, 140, 5, 6, BookStatus::Live, StaleReason::None, 0.1, 7}};
  FocusedMarket m;  // two focused instruments: the checks between entries are reached too
  m.depth.instrument = 0;
  m.depth.bids = {{100, 1}, {99, 2}};
  m.depth.asks = {{200, 1}};
  m.trades = {TradePrint{1, 0, 150, 7, Side::Sell, 42}};
  m.candles = {Candle{10, 1, 2, 0.5, 1.5, 3}};
  FocusedMarket other;
  other.depth.instrument = 1;
  other.depth.bids = {{3000, 1}};
  other.trades = {TradePrint{2, 1, 3000, 1, Side::Buy, 43}};
  s.focused = {m, other};
  Order o;
  o.id = 1;
  o.request.tag = "t";
  o.reason = "r";
  s.orders = {o};
  s.fills = {Fill{1, 1, 0, Side::Buy, 150, 1, 0.1, true, 2}};
  s.positions = {PositionRow{0, 1, 150, 151, 1, 0, 0.1, 0}};
  auto chain = std::make_shared<analytics::ChainAnalytics>();
  chain->underlying = "BTC";
  chain->options.resize(2);
  chain->expiries.resize(1);
  chain->expiries[0].options = {0, 1};
  chain->expiries[0].butterfly.ranges = {{0.1, 0.2}};
  chain->calendar.violations = {vol::CalendarViolation{0, 0, 0.1, 0.2, {{0.1, 0.2}}}};
  chain->fittedExpiries = {0};
  chain->positions = {analytics::PositionRisk{}};
  chain->byExpiry = {{1, analytics::GreekTotals{}}};
  chain->scenarioSpotShifts = {-0.1, 0.1};
  chain->scenarioVolShifts = {0};
  chain->scenarioDays = {0};
  chain->scenarios.resize(2);
  chain->pnlCurves = {analytics::PnlCurve{"now", {1, 2}, {3, 4}}};
  auto market = std::make_shared<analytics::MarketAnalytics>();
  market->chains = {chain};
  market->usd.resize(1);
  market->scenariosUsdTotal.resize(2);
  s.analytics = market;
  ParamRow p{"a", "b", "c", 1, 0, 1};
  s.plugins = {PluginRow{"/p.so", "a", "b", PluginApproval::Approved, true, "", {StrategyDescriptionRow{"i", "n", "v", "w", "d", {p}}}}};
  s.strategies = {StrategyRow{1, "n#1", "/p.so", "i", "n", "v", InstanceState::Running, {p}, 1, 2, 3, 4, 5, 6, 0.5, 0.5, "BTC", ""}};
  s.riskEvents = {RiskEventRow{1, "a", "b", "c"}};
  s.limits = {LimitUse{Limit::MaxPosition, "account", std::nan(""), 1, true, "account"}};
  s.orderQtyCap = {std::nan(""), 1};
  s.triggers = {TriggerRow{}};
  s.breaches = {Breach{1, 2, "a", "b", "c", 1, false, "refused"}};
  return s;
}

void checkRepeatable(SnapshotPart part, const EngineSnapshot& decoded) {
  const std::string body = encodePartBody(part, decoded);
  EngineSnapshot again;
  if (!decodePart(part, framePart(part, 0, 0, body), again).empty()) std::abort();
  if (encodePartBody(part, again) != body) std::abort();
}

void snapshotPart(SnapshotPart part, std::string_view bytes) {
  EngineSnapshot decoded;
  if (decodePart(part, bytes, decoded).empty()) checkRepeatable(part, decoded);
}

void editedPart(SnapshotPart part, const std::uint8_t* data, std::size_t size) {
  static const EngineSnapshot base = smallSnapshot();
  std::string bytes = encodePart(part, base, 5);
  std::size_t i = 0;
  if (size > 0 && (data[0] & 1)) bytes.resize(bytes.size() * data[0] / 256);  // a truncation, sometimes
  for (i = 1; i + 1 < size; i += 2)
    if (!bytes.empty()) bytes[data[i] % bytes.size()] = char(data[i + 1]);
  snapshotPart(part, bytes);
}

void instruments(std::string_view bytes) {
  InstrumentBatch batch;
  if (!decodeInstruments(bytes, batch).empty()) return;
  InstrumentRegistry registry;
  if (batch.firstId > 0 || batch.instruments.size() > 4096) return;  // a gap is refused; keep runs fast
  (void)applyInstruments(batch, registry);
}

void command(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  static const char* verbs[] = {"submit", "cancel", "cancel_all", "replace", "halt", "reduce", "flatten", "resume", "risk_limit",
                                "load_plugin", "unload_plugin", "launch_strategy", "start_strategy", "stop_strategy",
                                "remove_strategy", "strategy_param", "focus", "nonsense"};
  const char* verb = verbs[data[0] % (sizeof verbs / sizeof *verbs)];
  Command c;
  if (!decodeCommand(verb, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), c).empty()) return;
  if (std::string(verbOf(c)) != verb) std::abort();
  const std::string body = encodeCommand(c);
  Command again;
  if (!decodeCommand(verb, body, again).empty() || encodeCommand(again) != body) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t target = data[0] % 23;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (target < 10) snapshotPart(SnapshotPart(target), rest);
  else if (target < 20) editedPart(SnapshotPart(target - 10), data + 1, size - 1);
  else if (target == 20) instruments(rest);
  else if (target == 21) command(data + 1, size - 1);
  else {
    CommandAnswer a;
    (void)decodeAnswer(rest, a);
  }
  return 0;
}
