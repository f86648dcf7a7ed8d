#pragma once
// A strategy's parameters as typed editors built from the schema the plugin declared: a spin box
// for numbers (its range is the schema's, so an out-of-range value cannot be entered), a check
// box for booleans, a line edit for text. Text that is not a number cannot be typed at all.
//
// Built once per schema; afterwards the engine's values only move the editors the user has not
// touched, so a refresh never throws away what is being typed.
#include <QElapsedTimer>
#include <QWidget>
#include <string>
#include <vector>

#include "strategy/StrategyParams.hpp"
#include "strategy/StrategyRows.hpp"

class QFormLayout;
class QLabel;

namespace kappa::ui {

class StrategyParamForm : public QWidget {
  Q_OBJECT
 public:
  explicit StrategyParamForm(QWidget* parent = nullptr);
  // Width the rows need side by side (name, editor, range) with nothing clipped; measured from the
  // widgets' own hints, so it holds before they are shown.
  int requiredWidth() const;

  // Identifies a schema: names, types and ranges (not values). Equal signatures: same editors.
  static std::string signature(const std::vector<ParamRow>& params);

  // Replaces the editors.
  void setParams(const std::vector<ParamRow>& params);
  // The engine's current values for the same schema: untouched editors follow them.
  void syncValues(const std::vector<ParamRow>& params);
  void clear();
  bool empty() const { return editors_.empty(); }

  bool hasChanges() const;
  // Values the user changed, as text the engine parses (for setStrategyParam).
  ParamAssignments changedValues() const;
  // Every value as shown; untouched ones exactly as the engine formatted them (for launchStrategy).
  ParamAssignments allValues() const;
  // changedValues() were sent: they are no longer changes. An editor whose value the engine has
  // not taken within kConfirmMs goes back to the engine's value (the refusal is in the log).
  void markSent();
  static constexpr qint64 kConfirmMs = 3000;

  // The editor of one parameter (for tests): QDoubleSpinBox, QSpinBox, QCheckBox or QLineEdit.
  QWidget* editor(const QString& name) const;

 signals:
  // The user changed a value (or undid a change).
  void edited();
  // A value sent with markSent() was not taken by the engine and the editor shows the engine's again.
  void notTaken(const QString& name);

 private:
  struct Editor {
    ParamRow schema;
    QWidget* widget = nullptr;
    QLabel* label = nullptr;
    QLabel* range = nullptr;
    std::string engineText;  // the engine's value the editor was last loaded from
    QVariant loaded;         // the editor's value right after loading it: differs once edited
    bool sent = false;       // its value went to the engine, which has not shown it yet
    QElapsedTimer sentAt;
  };
  QWidget* makeEditor(Editor& e);
  void load(Editor& e, const std::string& text);
  QVariant current(const Editor& e) const;
  std::string currentText(const Editor& e) const;
  bool changed(const Editor& e) const { return current(e) != e.loaded; }
  void showChanged(Editor& e);

  QFormLayout* form_ = nullptr;
  QLabel* empty_ = nullptr;
  std::vector<Editor> editors_;
};

}  // namespace kappa::ui
