#pragma once
// Display formatting: fixed decimals per instrument (the tick decides), thousands separators for
// USD, sizes without trailing zeros, UTC times with milliseconds.
#include <QString>

#include "core/Instrument.hpp"

namespace kappa::ui {

QString formatPrice(const Instrument& inst, Price price);   // "" for 0 (no price)
QString formatPrice(const Instrument& inst, double price);
QString formatQty(const Instrument& inst, Qty qty);
QString formatQty(const Instrument& inst, double qty);
QString formatUtcTime(Nanos ts);                              // HH:MM:SS.mmm
// Time left to an expiry as "4d", "22h", "35m" or "expired"; from t (years, ACT/365) if now is 0.
QString formatTimeToExpiry(Nanos expiry, Nanos now, double t);
QString formatMoney(double value, int decimals);              // 1,234.56 with sign
// Parses a decimal number typed by the user into fixed point; false with a reason if malformed.
bool parseFixed(const QString& text, std::int64_t& out, QString* error);

}  // namespace kappa::ui
