#include "RiskLimitsView.hpp"

#include "ColumnFit.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

#include "Theme.hpp"
#include "link/EngineLink.hpp"
#include "models/RiskModels.hpp"

namespace kappa::ui {
namespace {

// Paints the cell's use as a bar under its text: green, amber from 70 %, red from 90 %.
class UseBarDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    const QVariant v = index.data(LimitsModel::FractionRole);
    const double f = v.isValid() ? v.toDouble() : std::nan("");
    if (!std::isnan(f)) {
      const QRect r = option.rect.adjusted(2, 3, -2, -3);
      p->save();
      p->fillRect(r, colors::grid);
      const QColor fill = f >= 0.9 ? colors::askBar : f >= 0.7 ? QColor(0x6b, 0x55, 0x1c) : colors::bidBar;
      p->fillRect(QRect(r.left(), r.top(), int(r.width() * std::min(f, 1.0)), r.height()), fill);
      p->restore();
    }
    QStyledItemDelegate::paint(p, option, index);
  }
};

QTableView* makeView(QAbstractItemModel* model, QWidget* parent) {
  auto* v = new QTableView(parent);
  v->setModel(model);
  v->verticalHeader()->hide();
  v->verticalHeader()->setDefaultSectionSize(20);
  v->setSelectionBehavior(QAbstractItemView::SelectRows);
  v->setEditTriggers(QAbstractItemView::NoEditTriggers);
  v->setShowGrid(false);
  v->horizontalHeader()->setStretchLastSection(true);
  v->horizontalHeader()->setHighlightSections(false);
  return v;
}

}  // namespace

RiskLimitsView::RiskLimitsView(EngineLink& engine, QWidget* parent) : QWidget(parent), engine_(engine) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 2, 0, 0);
  outer->setSpacing(4);

  auto* top = new QHBoxLayout;
  source_ = new QLabel(this);
  source_->setObjectName("riskSource");
  source_->setStyleSheet("color:#8a93a3;");
  source_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  top->addWidget(source_, 1);
  top->addWidget(new QLabel("Stop one strategy:", this));
  strategyChoice_ = new QComboBox(this);
  strategyChoice_->setObjectName("riskStrategyChoice");
  strategyChoice_->setMinimumWidth(160);
  top->addWidget(strategyChoice_);
  stopStrategy_ = new QPushButton("Stop", this);
  stopStrategy_->setObjectName("riskStopStrategy");
  stopStrategy_->setToolTip("Stop the chosen strategy instance and cancel its orders");
  stopStrategy_->setEnabled(false);
  top->addWidget(stopStrategy_);
  outer->addLayout(top);

  // Every limit across the full width on top; the triggers and the breach history side by side below.
  auto* split = new QSplitter(Qt::Vertical, this);
  limits_ = new LimitsModel(this);
  limitsView_ = makeView(limits_, split);
  limitsView_->setObjectName("riskLimits");
  limitsView_->setItemDelegateForColumn(LimitsModel::Use, new UseBarDelegate(limitsView_));
  limitsView_->setColumnWidth(LimitsModel::Name, 150);
  limitsView_->setColumnWidth(LimitsModel::Scope, 220);
  limitsView_->setColumnWidth(LimitsModel::Use, 120);
  limitsView_->setColumnWidth(LimitsModel::Value, 160);
  split->addWidget(limitsView_);

  auto* right = new QSplitter(Qt::Horizontal, split);
  triggers_ = new TriggersModel(this);
  triggersView_ = makeView(triggers_, right);
  triggersView_->setObjectName("riskTriggers");
  triggersView_->setItemDelegateForColumn(TriggersModel::Value, new UseBarDelegate(triggersView_));
  // Narrow to start with, widened to the header and (at each new set of limits) to the rows: every
  // column, Action and State included, fits the pane at the default layout.
  triggersView_->setColumnWidth(TriggersModel::Name, 0);
  triggersView_->setColumnWidth(TriggersModel::Value, 88);
  triggersView_->setColumnWidth(TriggersModel::Threshold, 0);
  triggersView_->setColumnWidth(TriggersModel::Action, 0);
  fitColumns(triggersView_, {{TriggersModel::Action, {"REDUCE", "HALT", "OFF"}}, {TriggersModel::State, {"FIRED", "armed"}}});
  breaches_ = new BreachesModel(this);
  breachesView_ = makeView(breaches_, right);
  breachesView_->setObjectName("riskBreaches");
  breachesView_->setColumnWidth(BreachesModel::Last, 90);
  breachesView_->setColumnWidth(BreachesModel::What, 130);
  breachesView_->setColumnWidth(BreachesModel::Scope, 110);
  breachesView_->setColumnWidth(BreachesModel::Count, 50);
  breachesView_->setColumnWidth(BreachesModel::Action, 64);
  fitColumns(breachesView_, {{BreachesModel::Action, {"REDUCE", "REFUSED"}}});
  right->addWidget(triggersView_);
  right->addWidget(breachesView_);
  right->setStretchFactor(0, 3);  // the triggers' five columns need more than the history's first ones
  right->setStretchFactor(1, 2);
  split->addWidget(right);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  outer->addWidget(split, 1);

  connect(limitsView_, &QTableView::clicked, this, [this](const QModelIndex& i) {
    if (i.column() == LimitsModel::On) toggleLimit(i.row());
  });
  connect(stopStrategy_, &QPushButton::clicked, this, [this] {
    const QVariant id = strategyChoice_->currentData();
    if (id.isValid()) engine_.stopStrategy(id.toUInt());
  });
}

void RiskLimitsView::toggleLimit(int row) {
  const std::string assignment = limits_->toggleAssignment(row);
  if (!assignment.empty()) engine_.changeRiskLimit(assignment);
}

void RiskLimitsView::apply(const EngineSnapshot& s) {
  if (s.limitsEpoch != limitsEpoch_) {
    limitsEpoch_ = s.limitsEpoch;
    limits_->setRows(s.limits);
    triggers_->setRows(s.triggers);
    fitColumnsToRows(triggersView_, {TriggersModel::Name, TriggersModel::Threshold, TriggersModel::Action});
    QString text = "Limits from " + QString::fromStdString(s.riskSource);
    if (!s.riskError.empty()) text += "   <span style='color:#f04b5a'>" + QString::fromStdString(s.riskError).toHtmlEscaped() + "</span>";
    source_->setText(text);
  }
  if (s.breachesVersion != breachesVersion_) {
    breachesVersion_ = s.breachesVersion;
    breaches_->setRows(s.breaches);
  }
  if (s.strategiesVersion != strategiesVersion_) {
    strategiesVersion_ = s.strategiesVersion;
    const QVariant keep = strategyChoice_->currentData();
    strategyChoice_->clear();
    for (const StrategyRow& r : s.strategies)
      if (r.state == InstanceState::Running) strategyChoice_->addItem(QString::fromStdString(r.name), r.id);
    const int at = strategyChoice_->findData(keep);
    if (at >= 0) strategyChoice_->setCurrentIndex(at);
    stopStrategy_->setEnabled(strategyChoice_->count() > 0);
  }
}

}  // namespace kappa::ui
