#pragma once
// Follows one manually sent order (ticket, ladder or chain click) to the risk gate's and the venue's
// answer, so that the place it was sent from says what became of it — refused with the reason,
// waiting for the venue, working, filled, cancelled — instead of a grey "sent" that stays up
// after a refusal. The order is found in the snapshots by a client reference set when it is sent.
#include <QString>
#include <optional>

#include "core/EngineSnapshot.hpp"

namespace kappa::ui {

class OrderAnswer {
 public:
  enum class Tone { Neutral, Good, Warning, Error };
  struct Shown {
    QString text;
    Tone tone = Tone::Neutral;
  };

  // Gives `request` a reference unique in this process and follows it from now on; `description`
  // names it in the answers ("Buy 100 BTC-PERPETUAL @ 50000").
  void track(OrderRequest& request, QString description);
  void forget() { ref_ = 0; }
  bool pending() const { return ref_ != 0; }

  // The answer when it changed since the last call (nothing otherwise). A final answer (refused,
  // filled, cancelled) ends the following.
  std::optional<Shown> update(const EngineSnapshot& snapshot, const InstrumentRegistry& instruments);

  // The style sheet of a message label for a tone.
  static QString styleOf(Tone tone);

 private:
  std::uint64_t ref_ = 0;
  QString description_;
  OrderState shown_ = OrderState::Unknown;
};

}  // namespace kappa::ui
