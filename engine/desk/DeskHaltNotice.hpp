#pragma once
// The desk-wide HALT as it travels: published on kappa.desk.halt (immediate) and kept as the key
// `halt` of the JetStream key-value bucket kappa_desk (for an engine that connects later or missed
// the message). Only the risk role may write either; the server enforces it. JSON text: the risk
// manager's command line writes it and a person can read it in the bucket.
#include <optional>
#include <string>

#include "core/Types.hpp"

namespace kappa::desk {

struct DeskHaltNotice {
  bool active = true;      // false: the risk role lifted the desk halt (engines stay halted until resumed)
  std::string id;          // unique per halt or lift: an engine acts once on each
  std::string reason;      // in the risk manager's words
  std::string user;        // who sent it (the NATS user)
  Nanos at = 0;            // wall clock when sent
};

std::string encodeDeskHalt(const DeskHaltNotice& notice);
// The notice, or nullopt with `error` saying what is wrong (untrusted input).
std::optional<DeskHaltNotice> decodeDeskHalt(std::string_view text, std::string* error);

// A fresh id for a notice sent now (time and randomness: two risk managers never collide).
std::string newDeskHaltId();

}  // namespace kappa::desk
