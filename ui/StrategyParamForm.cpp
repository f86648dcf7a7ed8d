#include "StrategyParamForm.hpp"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <climits>
#include <cmath>

#include "Theme.hpp"
#include "kappa/strategy.h"

namespace kappa::ui {
namespace {
// Wide enough for any price or size a strategy takes, narrow enough for a spin box to draw.
constexpr double kUnboundedDouble = 1e12;
constexpr int kMaxDecimals = 10;

// The fewest decimals (2..10) that show `v` exactly, so a value the plugin declared as 0.0005 is not
// displayed (and sent back) as 0.00.
int decimalsFor(double v) {
  for (int d = 2; d < kMaxDecimals; ++d) {
    const double scaled = v * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) <= 1e-9 * std::max(1.0, std::abs(scaled))) return d;
  }
  return kMaxDecimals;
}

QString number(double v) { return QString::number(v, 'g', 15); }

QString rangeText(const ParamRow& p) {
  if (p.type == KAPPA_PARAM_BOOL || p.type == KAPPA_PARAM_STRING || p.minValue > p.maxValue) return {};
  return QString("%1 … %2").arg(number(p.minValue), number(p.maxValue));
}

QString typeText(std::int32_t type) {
  switch (type) {
    case KAPPA_PARAM_DOUBLE: return "number";
    case KAPPA_PARAM_INT: return "integer";
    case KAPPA_PARAM_BOOL: return "yes / no";
    case KAPPA_PARAM_STRING: return "text";
  }
  return "?";
}

int clampToInt(double v) { return int(std::clamp(v, double(INT_MIN), double(INT_MAX))); }
}  // namespace

StrategyParamForm::StrategyParamForm(QWidget* parent) : QWidget(parent) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(0, 0, 0, 0);
  v->setSpacing(0);
  form_ = new QFormLayout;
  form_->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
  form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form_->setRowWrapPolicy(QFormLayout::DontWrapRows);
  form_->setHorizontalSpacing(10);
  form_->setVerticalSpacing(4);
  v->addLayout(form_);
  empty_ = new QLabel("No parameters");
  empty_->setStyleSheet(QString("color:%1;").arg(colors::dimText.name()));
  v->addWidget(empty_);
  v->addStretch();
}

int StrategyParamForm::requiredWidth() const {
  int label = 0, field = 0;
  for (const Editor& e : editors_) {
    label = std::max(label, e.label->sizeHint().width());
    const int editor = std::clamp(e.widget->sizeHint().width(), e.widget->minimumWidth(), e.widget->maximumWidth());
    field = std::max(field, editor + 6 + (e.range ? e.range->minimumWidth() : 0));
  }
  const QMargins m = contentsMargins();
  return m.left() + m.right() + label + form_->horizontalSpacing() + field;
}

std::string StrategyParamForm::signature(const std::vector<ParamRow>& params) {
  std::string sig;
  for (const ParamRow& p : params) {
    sig += p.name;
    sig += '\x1f';
    sig += std::to_string(p.type) + '\x1f' + number(p.minValue).toStdString() + '\x1f' + number(p.maxValue).toStdString();
    sig += '\x1e';
  }
  return sig;
}

void StrategyParamForm::clear() {
  while (form_->rowCount() > 0) form_->removeRow(0);  // deletes the editors and labels
  editors_.clear();
  empty_->show();
}

void StrategyParamForm::setParams(const std::vector<ParamRow>& params) {
  clear();
  editors_.resize(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    Editor& e = editors_[i];
    e.schema = params[i];
    const QString name = QString::fromStdString(e.schema.name);
    const QString description = QString::fromStdString(e.schema.description);
    const QString range = rangeText(e.schema);
    const QString tip = QString("%1 (%2%3)%4")
                            .arg(name, typeText(e.schema.type), range.isEmpty() ? QString() : ", " + range,
                                 description.isEmpty() ? QString() : "\n" + description);
    e.widget = makeEditor(e);
    e.widget->setObjectName("param:" + name);
    e.widget->setToolTip(tip);
    e.label = new QLabel(name);
    e.label->setToolTip(tip);
    e.label->setBuddy(e.widget);

    // One line per parameter: name, editor, range. The description is the tooltip of all three
    // (a wrapped description under every field made the form three times taller).
    auto* field = new QWidget;
    auto* row = new QHBoxLayout(field);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(6);
    e.widget->setMinimumWidth(100);
    e.widget->setMaximumWidth(160);
    row->addWidget(e.widget);
    auto* hint = new QLabel(range);
    hint->setObjectName("range:" + name);
    hint->setStyleSheet(QString("color:%1; font-size:11px;").arg(colors::dimText.name()));
    hint->setToolTip(tip);
    // The range is read, never clipped ("0 … 1000" cut to "0 … 10" says something else): the
    // form asks for its full width and the parameters pane is sized for it.
    hint->ensurePolished();
    hint->setMinimumWidth(hint->sizeHint().width());
    row->addWidget(hint, 1);
    e.range = hint;
    form_->addRow(e.label, field);
    load(e, e.schema.value);
  }
  empty_->setVisible(editors_.empty());
}

QWidget* StrategyParamForm::makeEditor(Editor& e) {
  const ParamRow& p = e.schema;
  const bool bounded = p.minValue <= p.maxValue;
  switch (p.type) {
    case KAPPA_PARAM_DOUBLE: {
      auto* spin = new QDoubleSpinBox;
      const double value = QString::fromStdString(p.value).toDouble();
      int decimals = decimalsFor(value);
      double lo = -kUnboundedDouble, hi = kUnboundedDouble, step = 1;
      if (bounded) {
        lo = p.minValue;
        hi = p.maxValue;
        decimals = std::max({decimals, decimalsFor(lo), decimalsFor(hi)});
        if (hi > lo) step = std::pow(10.0, std::floor(std::log10((hi - lo) / 100)));
      } else {
        lo = std::min(lo, value);
        hi = std::max(hi, value);
        if (value != 0) step = std::pow(10.0, std::floor(std::log10(std::abs(value))) - 1);
      }
      spin->setDecimals(decimals);
      spin->setRange(lo, hi);
      spin->setSingleStep(std::max(step, std::pow(10.0, -decimals)));
      spin->setGroupSeparatorShown(false);
      spin->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
      spin->setAccelerated(true);
      spin->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
      connect(spin, &QDoubleSpinBox::valueChanged, this, [this, &e] { showChanged(e); });
      return spin;
    }
    case KAPPA_PARAM_INT: {
      auto* spin = new QSpinBox;
      if (bounded) spin->setRange(clampToInt(std::ceil(p.minValue)), clampToInt(std::floor(p.maxValue)));
      else spin->setRange(INT_MIN, INT_MAX);
      spin->setGroupSeparatorShown(false);
      spin->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
      spin->setAccelerated(true);
      spin->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
      connect(spin, &QSpinBox::valueChanged, this, [this, &e] { showChanged(e); });
      return spin;
    }
    case KAPPA_PARAM_BOOL: {
      auto* box = new QCheckBox;
      connect(box, &QCheckBox::toggled, this, [this, &e] { showChanged(e); });
      return box;
    }
    default: {
      auto* edit = new QLineEdit;
      connect(edit, &QLineEdit::textChanged, this, [this, &e] { showChanged(e); });
      return edit;
    }
  }
}

void StrategyParamForm::load(Editor& e, const std::string& text) {
  const QString t = QString::fromStdString(text);
  {
    const QSignalBlocker quiet(e.widget);  // loading is not editing
    if (auto* d = qobject_cast<QDoubleSpinBox*>(e.widget)) d->setValue(t.toDouble());
    else if (auto* i = qobject_cast<QSpinBox*>(e.widget)) i->setValue(clampToInt(double(t.toLongLong())));
    else if (auto* b = qobject_cast<QCheckBox*>(e.widget)) b->setChecked(t == "true" || t == "1");
    else if (auto* l = qobject_cast<QLineEdit*>(e.widget)) l->setText(t);
  }
  e.engineText = text;
  e.loaded = current(e);
  e.sent = false;
  showChanged(e);
}

QVariant StrategyParamForm::current(const Editor& e) const {
  if (auto* d = qobject_cast<QDoubleSpinBox*>(e.widget)) return d->value();
  if (auto* i = qobject_cast<QSpinBox*>(e.widget)) return i->value();
  if (auto* b = qobject_cast<QCheckBox*>(e.widget)) return b->isChecked();
  if (auto* l = qobject_cast<QLineEdit*>(e.widget)) return l->text();
  return {};
}

std::string StrategyParamForm::currentText(const Editor& e) const {
  if (auto* d = qobject_cast<QDoubleSpinBox*>(e.widget)) return number(d->value()).toStdString();  // C locale: '.'
  if (auto* i = qobject_cast<QSpinBox*>(e.widget)) return std::to_string(i->value());
  if (auto* b = qobject_cast<QCheckBox*>(e.widget)) return b->isChecked() ? "true" : "false";
  if (auto* l = qobject_cast<QLineEdit*>(e.widget)) return l->text().toStdString();
  return {};
}

void StrategyParamForm::showChanged(Editor& e) {
  const bool pending = changed(e) || e.sent;
  e.label->setStyleSheet(pending ? QString("color:%1; font-weight:bold;").arg(colors::own.name()) : QString());
  e.label->setText(QString::fromStdString(e.schema.name) + (changed(e) ? " *" : ""));
  emit edited();
}

void StrategyParamForm::syncValues(const std::vector<ParamRow>& params) {
  for (Editor& e : editors_) {
    const auto row = std::find_if(params.begin(), params.end(), [&](const ParamRow& p) { return p.name == e.schema.name; });
    if (row == params.end() || changed(e)) continue;  // never overwrite what the user is typing
    if (row->value != e.engineText) {
      load(e, row->value);  // the engine took the sent value (or the value changed elsewhere)
    } else if (e.sent && e.sentAt.hasExpired(kConfirmMs)) {
      load(e, e.engineText);
      emit notTaken(QString::fromStdString(e.schema.name));
    }
  }
}

bool StrategyParamForm::hasChanges() const {
  return std::any_of(editors_.begin(), editors_.end(), [this](const Editor& e) { return changed(e); });
}

ParamAssignments StrategyParamForm::changedValues() const {
  ParamAssignments out;
  for (const Editor& e : editors_)
    if (changed(e)) out.emplace_back(e.schema.name, currentText(e));
  return out;
}

ParamAssignments StrategyParamForm::allValues() const {
  ParamAssignments out;
  for (const Editor& e : editors_)
    out.emplace_back(e.schema.name, changed(e) || e.sent ? currentText(e) : e.engineText);
  return out;
}

void StrategyParamForm::markSent() {
  for (Editor& e : editors_) {
    if (!changed(e)) continue;
    e.loaded = current(e);
    e.sent = true;
    e.sentAt.start();
    showChanged(e);
  }
}

QWidget* StrategyParamForm::editor(const QString& name) const {
  for (const Editor& e : editors_)
    if (QString::fromStdString(e.schema.name) == name) return e.widget;
  return nullptr;
}

}  // namespace kappa::ui
