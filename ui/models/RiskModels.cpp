#include "models/RiskModels.hpp"

#include <QLocale>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {

QString number(double v) {
  if (std::isnan(v)) return "per order";
  if (std::abs(v) >= 1000) return QLocale::c().toString(v, 'f', 0);
  return QString::number(v, 'g', 4);
}

QColor severity(double fraction) {
  if (fraction >= 0.9) return colors::ask;
  if (fraction >= 0.7) return colors::last;
  return colors::bid;
}

// A value with its unit; fractions read better as percentages.
QString withUnit(double v, const char* unit) {
  if (std::string_view(unit) == "fraction") return number(v * 100) + " %";
  return number(v) + " " + unit;
}

}  // namespace

double limitFraction(const LimitUse& u) {
  if (std::isnan(u.use) || !(u.value > 0)) return std::nan("");
  return std::abs(u.use) / u.value;
}

LimitsModel::LimitsModel(QObject* parent) : KeyedRowModel({"Limit", "Scope", "Use", "Limit", "On"}, parent) {}

std::string LimitsModel::keyOf(const LimitUse& u) const {
  // Sorted by key: the account's first, then the rest by scope; within a scope in catalogue order.
  const char rank = u.scope == "account" ? '0' : '1';
  char order[4];
  std::snprintf(order, sizeof order, "%02d", int(u.limit));
  return std::string(1, rank) + u.scope + "|" + order;
}

std::string LimitsModel::toggleAssignment(int r) const {
  const LimitUse& u = row(r);
  if (u.path.empty()) return {};
  return u.path + "/" + nameOf(u.limit) + "=" + (u.enabled ? "off" : "on");
}

QVariant LimitsModel::cell(const LimitUse& u, int column, int role) const {
  const LimitInfo& info = infoOf(u.limit);
  const double f = limitFraction(u);
  if (role == Qt::DisplayRole) {
    switch (column) {
      case Name: return QString(info.key);
      case Scope: return QString::fromStdString(u.scope);
      case Use: return std::isnan(u.use) ? QString("per order") : number(u.use);
      case Value: return info.flag ? QString("on/off") : withUnit(u.value, info.unit);
      case On: return u.enabled ? "on" : "OFF";
    }
  }
  if (role == FractionRole && column == Use) return u.enabled ? f : std::nan("");
  if (role == Qt::ForegroundRole) {
    if (!u.enabled) return colors::dimText;
    if (column == Use && !std::isnan(f)) return severity(f);
  }
  if (role == Qt::ToolTipRole) {
    QString tip = QString("%1: %2 (%3)").arg(info.key, info.what, info.unit);
    if (u.path.empty()) tip += "\nResolved over scopes: switch it in risk.json or its own scope's row.";
    else tip += QString("\nClick On to switch it %1 (journaled).").arg(u.enabled ? "off" : "on");
    return tip;
  }
  if (role == Qt::TextAlignmentRole && (column == Use || column == Value))
    return int(Qt::AlignRight | Qt::AlignVCenter);
  return {};
}

TriggersModel::TriggersModel(QObject* parent)
    : KeyedRowModel({"Trigger", "Now", "Threshold", "Action", "State"}, parent) {}

QVariant TriggersModel::cell(const TriggerRow& t, int column, int role) const {
  const bool off = t.setting.action == TriggerAction::Off;
  const bool hasValue = t.trigger != Trigger::GreekBreach && t.trigger != Trigger::StrategyFault;
  const double f = hasValue && t.setting.threshold > 0 ? t.value / t.setting.threshold : 0.0;
  if (role == Qt::DisplayRole) {
    switch (column) {
      case Name: return QString(nameOf(t.trigger));
      case Value: return hasValue ? withUnit(t.value, unitOf(t.trigger)) : QString("—");
      case Threshold:
        return t.trigger == Trigger::StrategyFault ? QString("any fault") : withUnit(t.setting.threshold, unitOf(t.trigger));
      case Action: return QString(nameOf(t.setting.action)).toUpper();
      case State: return off ? QString("off") : t.fired ? QString("FIRED") : QString("armed");
    }
  }
  if (role == LimitsModel::FractionRole && column == Value) return hasValue && !off ? f : std::nan("");
  if (role == Qt::ForegroundRole) {
    if (off) return colors::dimText;
    if (column == State && t.fired) return colors::ask;
    if (column == Value && hasValue) return severity(f);
  }
  if (role == Qt::ToolTipRole) return QString(describe(t.trigger));
  return {};
}

BreachesModel::BreachesModel(QObject* parent)
    : KeyedRowModel({"Last", "What", "Scope", "Count", "Action", "Detail"}, parent) {}

std::string BreachesModel::keyOf(const Breach& b) const {
  // Newest first: the key sorts descending by the time of the last occurrence.
  char t[24];
  std::snprintf(t, sizeof t, "%020lld", static_cast<long long>(~std::uint64_t(b.last) >> 1));
  return std::string(t) + b.what + "|" + b.scope + (b.trigger ? "|t" : "|l");
}

QVariant BreachesModel::cell(const Breach& b, int column, int role) const {
  if (role == Qt::DisplayRole) {
    switch (column) {
      case Last: return formatUtcTime(b.last);
      case What: return QString::fromStdString(b.what);
      case Scope: return QString::fromStdString(b.scope);
      case Count: return QString::number(b.count);
      case Action: return QString::fromStdString(b.action).toUpper();
      case Detail: return QString::fromStdString(b.detail);
    }
  }
  if (role == Qt::ForegroundRole && column == Action) return b.trigger ? colors::ask : colors::last;
  if (role == Qt::ToolTipRole) return QString::fromStdString(b.detail);
  return {};
}

}  // namespace kappa::ui
