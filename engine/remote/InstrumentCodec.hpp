#pragma once
// The engine's instruments for an attaching side, whose own InstrumentRegistry must give every
// instrument the id the engine gave it (snapshots, orders and commands speak ids). The engine sends
// its instruments from some id on (all of them for a late joiner, the new ones as venues list
// more) with the ids of every retired instrument; the attaching side adds them in id order.
// MessagePack: [version, firstId, [instrument...], [retired id...]]. Decoding is untrusted input:
// a bad message gives a reason, never a crash.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/Instrument.hpp"

namespace kappa::remote {

inline constexpr std::uint32_t kInstrumentWireVersion = 1;
inline constexpr std::size_t kMaxInstrumentListBytes = 16u << 20;  // ~100 bytes an instrument

struct InstrumentBatch {
  InstrumentId firstId = 0;                  // instruments[i] has id firstId + i
  std::vector<Instrument> instruments;
  std::vector<InstrumentId> retired;         // every retired instrument of the sender's registry
};

// The registry's instruments with ids >= from (none if from >= size()), and every retirement.
std::string encodeInstruments(const InstrumentRegistry& registry, InstrumentId from = 0);

// "" and `out` filled, or the reason (`out` then unspecified).
std::string decodeInstruments(std::string_view bytes, InstrumentBatch& out);

// Adds the batch's instruments that `registry` does not hold yet, in id order, and retires the
// retired ones. "" or the reason: a gap (the batch starts after the registry's end), an instrument
// already held under the same id but with another venue or name, an id that came out different,
// a retired id the registry does not hold. Instruments added before an error stay added.
std::string applyInstruments(const InstrumentBatch& batch, InstrumentRegistry& registry);

}  // namespace kappa::remote
