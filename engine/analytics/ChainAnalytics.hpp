#pragma once
// Live option analytics for one underlying's chain (MarketAnalytics holds one per underlying): implied vols from the market, a fitted SVI
// surface, theoretical values and edge, Greeks per option, and the portfolio's Greeks, scenario
// grid and PnL-vs-spot curves. Computed by computeChainAnalytics() — a pure function of a
// ChainInput — on the analytics worker thread, never on the engine's market-data path, and
// handed around as an immutable shared_ptr<const ChainAnalytics>.
//
// Money conventions (inverse options, Deribit style): option prices are in coin (BTC or ETH) per
// contract of 1 coin; "coin" Greeks are derivatives of the coin price (see pricing/InverseOption.hpp)
// and "usd" Greeks are the Black-76 ones on the forward. Vega per 1.00 of vol, theta per year
// (the views show per vol point and per day).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/Instrument.hpp"
#include "pricing/ImpliedVol.hpp"
#include "vol/Arbitrage.hpp"
#include "vol/SviFit.hpp"

namespace kappa::analytics {

// ---- input: copied from the engine thread at <= 10 Hz ----
struct OptionQuote {
  InstrumentId instrument = kNoInstrument;
  Price bid = 0, ask = 0, last = 0;  // coin; 0 = none
  double venueMarkIv = 0;            // the venue's own mark IV (fraction); 0 = none or stale
};
struct PositionInput {
  InstrumentId instrument = kNoInstrument;
  double qty = 0;          // signed, instrument units
  double entryValue = 0;   // as in Position: PnL = qty*unitValue(mark) - entryValue
};
struct ChainInput {
  const InstrumentRegistry* instruments = nullptr;  // immutable after engine start
  std::string underlying;                  // the coin ("BTC", "ETH"): every option, position and Greek below is its
  InstrumentId indexId = kNoInstrument;    // its index (btc_usd)
  Nanos now = 0;
  // Wall time the input was copied from the engine's books: the market data a chain-driven
  // decision rests on (tick-to-order of orders placed from on_chain starts here).
  Nanos sampledAt = 0;
  double index = 0;                        // USD
  std::vector<OptionQuote> options;        // every option of the chain
  std::vector<std::pair<InstrumentId, double>> futuresMid;  // non-option instruments' marks (perp, futures)
  std::vector<PositionInput> positions;    // this underlying's positions only
};

// ---- output ----
struct OptionAnalytics {
  InstrumentId instrument = kNoInstrument;
  std::size_t expiryIndex = 0;
  double strike = 0, k = 0, t = 0;        // k = ln(K/F)
  bool isCall = true;
  double bidIv = 0, askIv = 0, midIv = 0; // 0 = not available
  pricing::IvStatus bidStatus = pricing::IvStatus::InvalidInput, askStatus = pricing::IvStatus::InvalidInput;
  double markIv = 0;                      // from the fitted surface (or mid IV if no fit)
  double venueMarkIv = 0;                 // the venue's own mark IV (Deribit's ticker), 0 = none
  double theo = 0;                        // coin, at markIv
  double edgeBid = 0, edgeAsk = 0;        // theo - bid, ask - theo (coin): > 0 means the quote is rich for the taker
  double deltaCoin = 0, gammaCoin = 0, vegaCoin = 0, thetaCoin = 0;
  double deltaUsd = 0, gammaUsd = 0, vegaUsd = 0, thetaUsd = 0;
};

struct ExpiryAnalytics {
  Nanos expiry = 0;
  double t = 0;
  double forward = 0;          // from put-call parity on the quotes; else index * e^{carry t}, carry from the futures
  bool forwardFromParity = false;
  vol::SviFitResult fit;       // status says whether the surface has this slice
  vol::ButterflyReport butterfly;  // checked over the quoted k range, widened by half its width each side
  double quotedKMin = 0, quotedKMax = 0;  // log-moneyness range of the quotes the fit used
  // The slice marks, theo and strategies price from: this refresh's fit when it is Ok, otherwise
  // the newest Ok fit of an earlier refresh (held in implied vol per log-moneyness), until an Ok
  // fit replaces it. A refresh whose fit did not converge (or has butterfly arbitrage) never
  // leaves the expiry without a surface it once had: strategies quoting on it see no gap.
  bool hasSurface = false;
  vol::SviParams surface;      // total variance at this refresh's t
  Nanos surfaceFittedAt = 0;   // ChainInput::now of the refresh whose fit `surface` is
  bool surfaceHeld() const { return hasSurface && !fit.ok(); }
  double atmVol = 0;           // fitted vol at k = 0 (market mid if no fit)
  std::vector<std::size_t> options;  // indices into ChainAnalytics::options, by strike then call/put
};

struct GreekTotals {
  double deltaCoin = 0, gammaCoin = 0, vegaCoin = 0, thetaCoin = 0;  // coin Greeks of the book
  double deltaUsd = 0, gammaUsd = 0, vegaUsd = 0, thetaUsd = 0;      // USD Greeks of the book
};

struct PositionRisk {
  InstrumentId instrument = kNoInstrument;
  double qty = 0;
  double valueCoin = 0;        // mark-to-model value of the position in coin
  GreekTotals greeks;
};

// PnL (coin and USD) of the current book when spot moves by spotShift (fraction) and every
// option's implied vol by volShift (absolute, 0.05 = 5 points), after `days` have passed.
struct Scenario {
  double spotShift = 0, volShift = 0, days = 0;
  double pnlCoin = 0, pnlUsd = 0;
};

struct PnlCurve {
  std::string label;           // "now", "+7d", "expiry"
  std::vector<double> spot;    // USD
  std::vector<double> pnlUsd;
};

struct ChainAnalytics {
  std::string underlying;      // ChainInput::underlying: coin amounts below are in this coin
  InstrumentId indexId = kNoInstrument;
  std::uint64_t seq = 0;
  Nanos computedAt = 0;
  Nanos sampledAt = 0;         // ChainInput::sampledAt (wall clock)
  double computeMicros = 0;    // how long computeChainAnalytics took
  double index = 0;
  std::vector<OptionAnalytics> options;
  std::vector<ExpiryAnalytics> expiries;  // ascending expiry
  // Over consecutive fitted slices, each pair on the overlap of their (widened) quoted k ranges:
  // extrapolated wings far from any quote say nothing about the market. Indices into `fittedExpiries`.
  vol::CalendarReport calendar;
  std::vector<std::size_t> fittedExpiries;
  // Portfolio.
  std::vector<PositionRisk> positions;
  GreekTotals total;                      // this underlying's book (MarketAnalytics sums the USD ones)
  std::vector<std::pair<Nanos, GreekTotals>> byExpiry;
  std::vector<double> scenarioSpotShifts, scenarioVolShifts, scenarioDays;
  std::vector<Scenario> scenarios;        // [day][vol][spot], row-major in that order
  std::vector<PnlCurve> pnlCurves;

  const OptionAnalytics* find(InstrumentId id) const;
  const Scenario& scenario(std::size_t day, std::size_t vol, std::size_t spot) const {
    return scenarios[(day * scenarioVolShifts.size() + vol) * scenarioSpotShifts.size() + spot];
  }
};

// Optional warm start: the previous result's SVI parameters per expiry.
std::shared_ptr<const ChainAnalytics> computeChainAnalytics(const ChainInput& input, const ChainAnalytics* previous);

}  // namespace kappa::analytics
