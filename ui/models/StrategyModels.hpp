#pragma once
// The strategy manager's tables: plugin files (loaded, refused or only found on disk) and strategy
// instances with their state, order counts, PnL and last error.
#include <cstdint>
#include <string>

#include "models/KeyedRowModel.hpp"
#include "strategy/StrategyRows.hpp"

namespace kappa::ui {

class PluginsModel : public KeyedRowModel<PluginRow, std::string> {
 public:
  enum Column { File, Strategies, Vendor, Sha256, Approval, State };
  explicit PluginsModel(QObject* parent = nullptr);
  // A file found on disk or added by the user that the engine has not tried to load: it has no
  // hash, no approval verdict and no error yet.
  static bool neverLoaded(const PluginRow& p) { return !p.loaded && p.error.empty() && p.sha256.empty(); }
  static QString stateText(const PluginRow& p);
  static QString approvalText(const PluginRow& p);

 protected:
  std::string keyOf(const PluginRow& p) const override { return p.path; }
  QVariant cell(const PluginRow& p, int column, int role) const override;
};

class InstancesModel : public KeyedRowModel<StrategyRow, std::uint32_t> {
 public:
  enum Column { Name, Strategy, State, Orders, Working, Fills, Pnl, Faults, Overruns, LastError };
  explicit InstancesModel(QObject* parent = nullptr);

 protected:
  std::uint32_t keyOf(const StrategyRow& s) const override { return s.id; }
  QVariant cell(const StrategyRow& s, int column, int role) const override;
};

}  // namespace kappa::ui
