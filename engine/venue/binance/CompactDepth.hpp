#pragma once
// A depthUpdate in the compact form Binance sends (and kappa-exchange): no whitespace, no escapes,
// plain unsigned integers, every level two decimal strings — read in one pass, without the generic
// JSON parser. The depth stream is most of the connector's traffic (17 levels a message on average),
// and simdjson's two passes over it were most of the decoder's time (docs/BENCHMARKS.md, issue 13).
//
// It accepts a strict subset of JSON: {"stream":"…","data":{EVENT}} or {EVENT}, where EVENT holds
// "e":"depthUpdate", "s", "U", "u" and optionally "E", "T", "pu", "b", "a", each once, in any order.
// Anything else — another event, whitespace, an unknown or repeated key, a number that is not a plain
// unsigned integer, a string with an escape or a non-ASCII byte, a level that is not exactly two
// decimals with a positive price and a non-negative quantity — is "not this shape" (false), and the
// caller decodes the message with simdjson as before: that path stays the reference, and
// tst_binance_decoder checks the two agree on every kind of message and on mutated ones.
#include <cstdint>
#include <string_view>
#include <vector>

#include "book/MarketEvent.hpp"
#include "venue/binance/BinanceDepthSync.hpp"

namespace kappa::binance {

struct CompactDepth {
  std::string_view symbol;  // points into the message
  DepthUpdateIds ids;       // ts: T when sent and non-zero, else E
};

// On true: `out` is filled and `levels` holds the bids then the asks as BookLevel events (side,
// price, qty; the action is the sync's to set). On false, `levels` and `asks` hold scratch.
bool readCompactDepth(std::string_view message, CompactDepth& out, std::vector<MdEvent>& levels, std::vector<MdEvent>& asks);

}  // namespace kappa::binance
