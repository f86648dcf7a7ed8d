#pragma once
#include "core/Instrument.hpp"

namespace kappa {

// Net position in one instrument with average-cost accounting in the settlement currency.
// Works for linear and inverse contracts through Instrument::unitValue(): entryValue is the sum of
// q*unitValue(p) over the open quantity, so unrealized = qty*unitValue(mark) - entryValue.
struct Position {
  InstrumentId instrument = kNoInstrument;
  double qty = 0.0;          // signed, in the instrument's quantity units
  double entryValue = 0.0;
  double realizedPnl = 0.0;  // settlement currency, before fees
  double fees = 0.0;         // settlement currency, paid
  double boughtQty = 0.0;
  double soldQty = 0.0;

  // On-chain venues: the signed part of qty whose transactions are included but not yet confirmed
  // (set from the venue's onUnconfirmedFills; already inside qty, shown as "unconfirmed").
  double unconfirmedQty = 0.0;

  void applyFill(const Instrument& inst, Side side, double fillQty, double price, double fee);
  // A fee paid without a fill (an on-chain swap that reverted, a cancel's transaction): it counts in
  // fees, so the PnL (realized + unrealized - fees) includes it.
  void applyFee(double fee) { fees += fee; }
  double unrealizedPnl(const Instrument& inst, double mark) const;
  // Average entry price (harmonic for inverse contracts); 0 when flat.
  double averagePrice(const Instrument& inst) const;
  bool flat() const { return qty == 0.0; }
};

}  // namespace kappa
