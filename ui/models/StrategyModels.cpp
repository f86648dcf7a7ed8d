#include "StrategyModels.hpp"

#include <QBrush>
#include <QFileInfo>
#include <QFont>
#include <QFontDatabase>

#include "Theme.hpp"
#include "core/Instrument.hpp"

namespace kappa::ui {
namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
QVariant right() { return int(Qt::AlignRight | Qt::AlignVCenter); }
QVariant mono() { return QFontDatabase::systemFont(QFontDatabase::FixedFont); }
QVariant bold() {
  QFont f;
  f.setBold(true);
  return f;
}
QVariant signedBrush(double v) {
  if (v == 0) return {};
  return QBrush(v > 0 ? colors::bid : colors::ask);
}
}  // namespace

// ---- plugins ----

PluginsModel::PluginsModel(QObject* parent)
    : KeyedRowModel({"File", "Strategies", "Vendor", "SHA-256", "Approval", "State"}, parent) {}

QString PluginsModel::stateText(const PluginRow& p) {
  if (p.loaded) return "loaded";
  if (!p.error.empty()) return "refused: " + qs(p.error);
  return "not loaded";
}

QString PluginsModel::approvalText(const PluginRow& p) {
  if (neverLoaded(p)) return "unknown";  // the hash is checked when the file is loaded, not before
  switch (p.approval) {
    case PluginApproval::Approved: return "approved";
    case PluginApproval::Changed: return "CHANGED";
    case PluginApproval::Unknown: return "unknown";
  }
  return {};
}

QVariant PluginsModel::cell(const PluginRow& p, int col, int role) const {
  if (role == Qt::DisplayRole) {
    switch (col) {
      case File: return QFileInfo(qs(p.path)).fileName();
      case Strategies: {
        QStringList names;
        for (const StrategyDescriptionRow& s : p.strategies) names << qs(s.name) + " " + qs(s.version);
        return names.join(", ");
      }
      case Vendor: {
        QStringList vendors;
        for (const StrategyDescriptionRow& s : p.strategies)
          if (!vendors.contains(qs(s.vendor))) vendors << qs(s.vendor);
        return vendors.join(", ");
      }
      case Sha256: return p.sha256.empty() ? QString("—") : qs(p.sha256.substr(0, 12));
      case Approval: return approvalText(p);
      case State: return stateText(p);
    }
  } else if (role == Qt::ToolTipRole) {
    switch (col) {
      case File: return qs(p.path);
      case Strategies: {
        QStringList lines;
        for (const StrategyDescriptionRow& s : p.strategies)
          lines << QString("%1 %2 (%3)\n%4").arg(qs(s.name), qs(s.version), qs(s.id), qs(s.description));
        return lines.join("\n\n");
      }
      case Sha256:
      case Approval:
        if (p.approval == PluginApproval::Changed)
          return QString("Approved SHA-256:\n%1\nFile now:\n%2").arg(qs(p.approvedSha256), qs(p.sha256));
        if (!p.sha256.empty()) return qs(p.sha256);
        return QString("Not hashed yet: the hash is checked against the approvals when the file is loaded");
      case State: return stateText(p);
    }
  } else if (role == Qt::FontRole) {
    if (col == Sha256) return mono();
    if (col == Approval && p.approval == PluginApproval::Changed && !neverLoaded(p)) return bold();
  } else if (role == Qt::ForegroundRole) {
    if (col == Approval) {
      if (neverLoaded(p)) return QBrush(colors::dimText);
      if (p.approval == PluginApproval::Changed) return QBrush(colors::ask);
      if (p.approval == PluginApproval::Approved) return QBrush(colors::bid);
      return QBrush(colors::dimText);
    }
    if (col == State) {
      if (p.loaded) return QBrush(colors::bid);
      if (!p.error.empty()) return QBrush(colors::ask);
      return QBrush(colors::dimText);
    }
    if (col == Sha256 || col == Vendor) return QBrush(colors::dimText);
  }
  return {};
}

// ---- instances ----

InstancesModel::InstancesModel(QObject* parent)
    : KeyedRowModel({"Instance", "Strategy", "State", "Orders", "Working", "Fills", "PnL", "Faults",
                     "Overruns", "Last error"},
                    parent) {}

QVariant InstancesModel::cell(const StrategyRow& s, int col, int role) const {
  const double pnl = s.realizedPnl + s.unrealizedPnl;
  if (role == Qt::DisplayRole) {
    switch (col) {
      case Name: return qs(s.name);
      case Strategy: return qs(s.strategyName) + " " + qs(s.version);
      case State: return QString(nameOf(s.state));
      case Orders: return QString("%1 / %2").arg(s.ordersSent).arg(s.ordersRefused);
      case Working: return QString::number(s.workingOrders);
      case Fills: return QString::number(s.fills);
      case Pnl:
        if (s.pnlCurrency.empty()) return QString::number(pnl, 'f', 6);
        return QString::number(pnl, 'f', kappa::isDollarCurrency(s.pnlCurrency) ? 2 : 6) + " " + qs(s.pnlCurrency);
      case Faults: return QString::number(s.faults);
      case Overruns: return QString::number(s.overruns);
      case LastError: return qs(s.lastError);
    }
  } else if (role == Qt::ToolTipRole) {
    switch (col) {
      case Name: return QString("Instance %1 of %2").arg(s.id).arg(qs(s.pluginPath));
      case Strategy: return qs(s.strategyId);
      case Pnl:
        return QString("Realized (net of fees) %1\nUnrealized %2\nThis instance's own fills, in %3")
            .arg(QString::number(s.realizedPnl, 'f', 6), QString::number(s.unrealizedPnl, 'f', 6),
                 s.pnlCurrency.empty() ? QString("the settlement currency")
                 : s.pnlCurrency == "USD" ? QString("USD (coins at their index, USDT and USDC at par)") : qs(s.pnlCurrency));
      case LastError: return s.lastError.empty() ? QVariant() : QVariant(qs(s.lastError));
    }
  } else if (role == Qt::TextAlignmentRole && col >= Orders && col <= Overruns) {
    return right();
  } else if (role == Qt::FontRole) {
    if (col == Pnl) return mono();
    if (col == State && s.state == InstanceState::Faulted) return bold();
  } else if (role == Qt::ForegroundRole) {
    switch (col) {
      case State:
        switch (s.state) {
          case InstanceState::Running: return QBrush(colors::bid);
          case InstanceState::Stopped: return QBrush(colors::dimText);
          case InstanceState::Faulted: return QBrush(colors::ask);
          case InstanceState::Configured: return {};
        }
        break;
      case Orders: return s.ordersRefused > 0 ? QBrush(colors::last) : QVariant();
      case Pnl: return signedBrush(pnl);
      case Faults: return s.faults > 0 ? QBrush(colors::ask) : QVariant();
      case Overruns: return s.overruns > 0 ? QBrush(colors::last) : QVariant();
      case LastError: return QBrush(colors::ask);
    }
  }
  return {};
}

}  // namespace kappa::ui
