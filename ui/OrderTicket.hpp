#pragma once
// Order entry for the selected instrument: side, type, price, quantity. Input is validated against
// the instrument (tick, lot) and the risk gate's per-order quantity cap before anything is sent; a
// bad field gets a visible reason. After sending, the ticket follows its order and shows the
// answer — accepted, working, filled, or refused by the risk gate or the venue with the reason.
#include <QWidget>

#include "VenueNames.hpp"
#include <functional>

#include "OrderAnswer.hpp"
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
  // The configured venues: the title says "venue:name" where two venues list the name.
  void setVenues(VenueNames venues) { venues_ = std::move(venues); }
  void setInstrument(InstrumentId id);
  InstrumentId instrument() const { return instrument_; }
  // A venue-specific section (the on-chain swap preview) below the message; it shows and hides itself.
  void addSection(QWidget* section);
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
  bool messageIsError() const { return messageError_; }

 signals:
  void submitRequested(const kappa::OrderRequest& request);

 private:
  void onSide(Side side);
  const InstrumentRegistry& instruments_;
  VenueNames venues_;
  InstrumentId instrument_ = kNoInstrument;
  std::function<Nanos()> clock_;
  bool pricePrefilled_ = false;
  std::vector<double> qtyCap_;          // the gate's max_order_qty per instrument (NaN: none)
  std::uint64_t qtyCapEpoch_ = ~0ull;   // the snapshot limits epoch qtyCap_ came from
  OrderAnswer answer_;                  // the last order sent, until its answer is shown for good
  QLabel* title_ = nullptr;
  QComboBox* type_ = nullptr;
  QLineEdit* price_ = nullptr;
  QLineEdit* qty_ = nullptr;
  QPushButton* buy_ = nullptr;
  QPushButton* sell_ = nullptr;
  QLabel* message_ = nullptr;
  bool messageError_ = false;
};

}  // namespace kappa::ui
