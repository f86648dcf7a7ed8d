#pragma once
// Order entry for the selected instrument: side, type, price, quantity. Input is validated against
// the instrument (tick, lot, limits) before anything is sent; a bad field gets a visible reason.
#include <QWidget>
#include <functional>

#include "core/EngineSnapshot.hpp"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace kappa::ui {

class OrderTicket : public QWidget {
  Q_OBJECT
 public:
  explicit OrderTicket(const InstrumentRegistry& instruments, QWidget* parent = nullptr);
  void setInstrument(InstrumentId id);
  // Market time for validation (an option's expiry); the wall clock until set.
  void setClock(std::function<Nanos()> clock) { clock_ = std::move(clock); }
  void apply(const EngineSnapshot& snapshot);
  // Builds and validates an order from the fields; on failure returns false and shows the reason.
  bool buildOrder(Side side, OrderRequest& out);
  void showMessage(const QString& text, bool error);

  QLineEdit* priceEdit() const { return price_; }
  QLineEdit* qtyEdit() const { return qty_; }
  QComboBox* typeBox() const { return type_; }
  QPushButton* buyButton() const { return buy_; }
  QPushButton* sellButton() const { return sell_; }
  QLabel* messageLabel() const { return message_; }

 signals:
  void submitRequested(const kappa::OrderRequest& request);

 private:
  void onSide(Side side);
  const InstrumentRegistry& instruments_;
  InstrumentId instrument_ = kNoInstrument;
  std::function<Nanos()> clock_;
  bool pricePrefilled_ = false;
  QLabel* title_ = nullptr;
  QComboBox* type_ = nullptr;
  QLineEdit* price_ = nullptr;
  QLineEdit* qty_ = nullptr;
  QPushButton* buy_ = nullptr;
  QPushButton* sell_ = nullptr;
  QLabel* message_ = nullptr;
};

}  // namespace kappa::ui
