#include "JsonRawInteger.hpp"

#include <QRegularExpression>
#include <random>

namespace kappa::app {
namespace {

const QString& tag() {
  static const QString t = [] {
    std::random_device rd;
    return QString("kappa-raw-integer-%1%2:").arg(rd(), 8, 16, QChar('0')).arg(rd(), 8, 16, QChar('0'));
  }();
  return t;
}

}  // namespace

QJsonValue rawInteger(const std::string& decimal) {
  if (decimal.empty() || decimal.find_first_not_of("0123456789") != std::string::npos) return QString("invalid");
  // No leading zeros in a JSON number.
  const std::size_t first = decimal.find_first_not_of('0');
  return tag() + QString::fromStdString(first == std::string::npos ? "0" : decimal.substr(first));
}

QByteArray expandRawIntegers(const QByteArray& json) {
  static const QRegularExpression marker("\"" + QRegularExpression::escape(tag()) + "([0-9]+)\"");
  QString text = QString::fromUtf8(json);
  text.replace(marker, "\\1");
  return text.toUtf8();
}

}  // namespace kappa::app
