#include "Format.hpp"

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <algorithm>
#include <cmath>

namespace kappa::ui {
namespace {
QString groupThousands(const QString& plain) {
  const int dot = plain.indexOf('.');
  QString whole = dot < 0 ? plain : plain.left(dot);
  const QString frac = dot < 0 ? QString() : plain.mid(dot);
  const bool neg = whole.startsWith('-');
  if (neg) whole.remove(0, 1);
  for (int i = whole.size() - 3; i > 0; i -= 3) whole.insert(i, ',');
  return (neg ? "-" : "") + whole + frac;
}
}  // namespace

QString formatPrice(const Instrument& inst, Price price) {
  if (price == 0) return {};
  const QString s = QString::fromStdString(formatFixed(price, inst.priceDecimals));
  return isDollarCurrency(inst.quoteCurrency) ? groupThousands(s) : s;
}

QString formatPrice(const Instrument& inst, double price) {
  if (price == 0) return {};
  const QString s = QString::number(price, 'f', inst.priceDecimals);
  return isDollarCurrency(inst.quoteCurrency) ? groupThousands(s) : s;
}

QString formatQty(const Instrument& inst, Qty qty) {
  return groupThousands(QString::fromStdString(formatTrimmed(qty)));
}

QString formatQty(const Instrument& inst, double qty) { return formatQty(inst, toFixed(qty)); }

QString formatUtcTime(Nanos ts) {
  return QDateTime::fromMSecsSinceEpoch(ts / 1'000'000, Qt::UTC).toString("HH:mm:ss.zzz");
}

QString formatTimeToExpiry(Nanos expiry, Nanos now, double t) {
  const double secs = now > 0 ? double(expiry - now) / 1e9 : t * 365.0 * 86400.0;
  if (secs <= 0) return "expired";
  if (secs >= 86400.0) return QString("%1d").arg(int(secs / 86400.0));
  if (secs >= 3600.0) return QString("%1h").arg(int(secs / 3600.0));
  return QString("%1m").arg(std::max(1, int(secs / 60.0)));
}

QString formatMoney(double value, int decimals) {
  return groupThousands(QString::number(value, 'f', decimals));
}

bool parseFixed(const QString& text, std::int64_t& out, QString* error) {
  static const QRegularExpression re("^\\s*(\\d{1,12})(?:\\.(\\d{0,8}))?\\s*$");
  const QString t = QString(text).remove(',');
  const auto m = re.match(t);
  if (!m.hasMatch()) {
    if (error) *error = t.trimmed().isEmpty() ? "is empty" : QString("'%1' is not a number").arg(text.trimmed());
    return false;
  }
  std::int64_t whole = m.captured(1).toLongLong();
  QString frac = m.captured(2);
  frac = frac.leftJustified(8, '0');
  out = whole * kFixedScale + frac.toLongLong();
  return true;
}

}  // namespace kappa::ui
