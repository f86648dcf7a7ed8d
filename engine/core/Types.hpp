#pragma once
#include <cstdint>

namespace kappa {

using InstrumentId = std::uint32_t;          // dense: index into per-instrument vectors
inline constexpr InstrumentId kNoInstrument = 0xFFFFFFFFu;
using VenueId = std::uint16_t;               // index of the venue in the engine's list (0 = the first)
using OrderId = std::uint64_t;               // client order id, assigned by the engine
using Nanos = std::int64_t;                  // nanoseconds since the Unix epoch (UTC)

enum class Side : std::uint8_t { Buy, Sell };
inline constexpr Side opposite(Side s) { return s == Side::Buy ? Side::Sell : Side::Buy; }
inline constexpr const char* nameOf(Side s) { return s == Side::Buy ? "buy" : "sell"; }

}  // namespace kappa
