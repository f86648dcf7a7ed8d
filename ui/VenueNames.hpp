#pragma once
// How instruments are named on screen when several venues are configured. An instrument's identity
// is venue + name: two venues may both list BTC-PERPETUAL. The GUI shows "deribit:BTC-PERPETUAL"
// where another venue lists the same name (as Engine::displayName does), a Venue column in the
// tables, and accepts "venue:name" wherever a name is typed. With one venue nothing changes.
#include <QString>
#include <string>
#include <vector>

#include "core/Instrument.hpp"

namespace kappa::ui {

struct VenueNames {
  std::vector<std::string> names;  // by VenueId, as the engine names them ("sim", "deribit", "binance-futures")

  bool several() const { return names.size() > 1; }
  QString venue(VenueId v) const { return v < names.size() ? QString::fromStdString(names[v]) : QString(); }
  QString venue(const Instrument& inst) const { return venue(inst.venue); }
  // "deribit:BTC-PERPETUAL" when another venue lists the same name, else the bare name.
  QString display(const InstrumentRegistry& registry, InstrumentId id) const;
  // Always "venue:name" (filters and pickers match on it); the bare name with one venue.
  QString qualified(const Instrument& inst) const;
  // "venue:name", a display name or a bare name (the first venue's); null if unknown.
  const Instrument* find(const InstrumentRegistry& registry, const QString& text) const;
};

}  // namespace kappa::ui
