#pragma once
// The on-chain venue's part of a served engine's state (kappa.<engine>.state.evm, KV kappa_engines
// <engine>.evm): the EvmVenueSnapshot the on-chain panel and the ticket's swap preview read, as
// MessagePack, so an attached window shows the same dock as a local one (RemoteEvmView). Sent by
// EngineServer when it changed, at most at the panel's rate (4 Hz).
//
// A message is [format version, published wall time, body]. Decoding is untrusted input: a
// malformed, truncated or out-of-range message gives a reason naming the field and leaves `into`
// unchanged. Amounts in wei (U256) travel as JSON-RPC QUANTITY text ("0x1a"), hashes as 0x + 64
// hex digits; addresses must be 0x + 40 hex digits (the panel cuts them for display), instrument
// ids must be known to the attaching side, and the base-fee history is at most its 60 blocks.
#include <cstdint>
#include <string>
#include <string_view>

#include "remote/SnapshotCodec.hpp"  // kUncheckedInstruments
#include "venue/evm/EvmVenueViews.hpp"

namespace kappa::remote {

inline constexpr std::uint32_t kEvmWireVersion = 1;

// The snapshot's fields alone: what the publisher compares to tell whether it changed.
std::string encodeEvmBody(const evm::EvmVenueSnapshot& snapshot);
// The message: the header followed by an encoded body.
std::string frameEvmPart(Nanos publishedWall, std::string_view body);
// "" and `into` replaced (and `publishedWall` set, if given); or the reason, `into` untouched.
std::string decodeEvmPart(std::string_view bytes, evm::EvmVenueSnapshot& into, Nanos* publishedWall = nullptr,
                          std::size_t knownInstruments = kUncheckedInstruments);

}  // namespace kappa::remote
