#pragma once
// The ladder with its order-size box and a message line for refused clicks.
#include <QWidget>

#include "VenueNames.hpp"

#include "LadderWidget.hpp"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace kappa::ui {

class LadderPanel : public QWidget {
  Q_OBJECT
 public:
  explicit LadderPanel(const InstrumentRegistry& instruments, QWidget* parent = nullptr);
  LadderWidget* ladder() const { return ladder_; }
  QLineEdit* qtyEdit() const { return qty_; }
  QLabel* messageLabel() const { return message_; }
  QCheckBox* autoCentreBox() const { return autoCentre_; }
  // The configured venues: the title says "venue:name" where two venues list the name.
  void setVenues(VenueNames venues) { venues_ = std::move(venues); }
  void setInstrument(InstrumentId id);
  void showMessage(const QString& text, bool error);

 private:
  const InstrumentRegistry& instruments_;
  VenueNames venues_;
  LadderWidget* ladder_ = nullptr;
  QLabel* title_ = nullptr;
  QLineEdit* qty_ = nullptr;
  QLabel* message_ = nullptr;
  QCheckBox* autoCentre_ = nullptr;
};

}  // namespace kappa::ui
