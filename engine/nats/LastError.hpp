#pragma once
// Internal to engine/nats: libnats' own words for the last error on this thread
// (nats_GetLastError), the detail behind a status that the messages to the user quote.
#include <nats/nats.h>

#include <string>

namespace kappa::nats {

inline std::string lastErrorText() {
  natsStatus s = NATS_OK;
  const char* text = nats_GetLastError(&s);
  return text ? text : "";
}

}  // namespace kappa::nats
