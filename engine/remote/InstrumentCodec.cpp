#include "remote/InstrumentCodec.hpp"

#include <cmath>

#include "remote/WireValue.hpp"

KAPPA_WIRE_ENUM(kappa::InstrumentKind, kappa::InstrumentKind::Spot)
KAPPA_WIRE_ENUM(kappa::Settlement, kappa::Settlement::Linear)
KAPPA_WIRE_ENUM(kappa::OptionType, kappa::OptionType::Put)
KAPPA_WIRE_STRUCT(kappa::Instrument, id, venue, name, kind, settlement, optionType, baseCurrency, quoteCurrency,
                  settleCurrency, underlyingId, strike, expiry, contractSize, tickSize, minQty, maxQty, tradable, makerFee,
                  takerFee, priceDecimals, qtyDecimals)

namespace kappa::remote {

using wire::DecodeError;
using wire::json;
using wire::Wire;

namespace {

// What the attaching side computes with an instrument must not divide by zero or index past the
// registry: a tick, a lot and a contract size above zero, finite fees, sane decimals, an
// underlying that is listed (or none).
std::string checkInstrument(const Instrument& i, std::uint64_t idsEnd) {
  if (i.name.empty()) return "no name";
  if (i.tickSize <= 0) return "tick size " + std::to_string(i.tickSize) + " (must be positive)";
  if (i.minQty <= 0) return "minimum quantity " + std::to_string(i.minQty) + " (must be positive)";
  if (i.maxQty < 0) return "maximum quantity " + std::to_string(i.maxQty) + " (must not be negative)";
  if (!std::isfinite(i.contractSize) || i.contractSize <= 0) return "contract size must be positive and finite";
  if (!std::isfinite(i.makerFee) || !std::isfinite(i.takerFee)) return "fees must be finite";
  if (i.priceDecimals < 0 || i.priceDecimals > 18 || i.qtyDecimals < 0 || i.qtyDecimals > 18) return "decimals out of range (0..18)";
  if (i.strike < 0 || i.expiry < 0) return "negative strike or expiry";
  if (i.underlyingId != kNoInstrument && i.underlyingId >= idsEnd)
    return "underlying id " + std::to_string(i.underlyingId) + " is not listed";
  return {};
}

}  // namespace

std::string encodeInstruments(const InstrumentRegistry& registry, InstrumentId from) {
  const std::size_t n = registry.size();  // one reading: instruments listed meanwhile go next time
  json message = json::array();
  auto& a = message.get_ref<json::array_t&>();
  a.reserve(4);  // `list` and `retired` below stay valid
  Wire<std::uint32_t>::put(a.emplace_back(), kInstrumentWireVersion);
  Wire<InstrumentId>::put(a.emplace_back(), from);
  json& list = a.emplace_back(json::array());
  json& retired = a.emplace_back(json::array());
  for (std::size_t id = from; id < n; ++id) Wire<Instrument>::put(list.get_ref<json::array_t&>().emplace_back(), registry[InstrumentId(id)]);
  for (std::size_t id = 0; id < n; ++id)
    if (registry.retired(InstrumentId(id))) retired.push_back(std::uint64_t(id));
  std::string bytes;
  json::to_msgpack(message, nlohmann::detail::output_adapter<char>(bytes));
  return bytes;
}

std::string decodeInstruments(std::string_view bytes, InstrumentBatch& out) {
  if (bytes.size() > kMaxInstrumentListBytes)
    return "instruments: message of " + std::to_string(bytes.size()) + " bytes (at most " +
           std::to_string(kMaxInstrumentListBytes) + ")";
  wire::DecodeBudget budget(wire::decodeBudgetFor(bytes.size()));
  json message;
  std::string error;
  if (!wire::parseMessagePack(bytes, message, error)) return "instruments: " + error;
  try {
    if (!message.is_array() || message.size() != 4)
      return "instruments: not an instrument list (expected [version, firstId, instruments, retired])";
    std::uint32_t version = 0;
    Wire<std::uint32_t>::get(message[0], version);
    if (version != kInstrumentWireVersion)
      return "instruments: wire format version " + std::to_string(version) + " (this build reads " +
             std::to_string(kInstrumentWireVersion) + ")";
    InstrumentBatch batch;
    try {
      Wire<InstrumentId>::get(message[1], batch.firstId);
    } catch (DecodeError& e) {
      e.path = "firstId" + e.path;
      throw;
    }
    try {
      Wire<std::vector<Instrument>>::get(message[2], batch.instruments);
    } catch (DecodeError& e) {
      e.path = "instruments" + e.path;
      throw;
    }
    try {
      Wire<std::vector<InstrumentId>>::get(message[3], batch.retired);
    } catch (DecodeError& e) {
      e.path = "retired" + e.path;
      throw;
    }
    if (std::uint64_t(batch.firstId) + batch.instruments.size() > InstrumentRegistry::kCapacity)
      return "instruments: ids up to " + std::to_string(std::uint64_t(batch.firstId) + batch.instruments.size()) +
             " exceed the registry's capacity";
    for (std::size_t i = 0; i < batch.instruments.size(); ++i) {
      const Instrument& inst = batch.instruments[i];
      if (inst.id != batch.firstId + i)
        return "instruments: [" + std::to_string(i) + "] has id " + std::to_string(inst.id) + ", expected " +
               std::to_string(batch.firstId + i);
      if (auto e = checkInstrument(inst, std::uint64_t(batch.firstId) + batch.instruments.size()); !e.empty())
        return "instruments: [" + std::to_string(i) + "] (" + inst.name.substr(0, 64) + "): " + e;
    }
    out = std::move(batch);
    return {};
  } catch (DecodeError& e) {
    return "instruments: " + e.message();
  } catch (const std::exception& e) {
    return std::string("instruments: ") + e.what();
  }
}

std::string applyInstruments(const InstrumentBatch& batch, InstrumentRegistry& registry) {
  if (batch.firstId > registry.size())
    return "instruments: the list starts at id " + std::to_string(batch.firstId) + " but " + std::to_string(registry.size()) +
           " are known (ids in between are missing)";
  for (const Instrument& inst : batch.instruments) {
    if (inst.id < registry.size()) {  // already held (a repeated or overlapping list): must be the same one
      const Instrument& held = registry[inst.id];
      if (held.venue != inst.venue || held.name != inst.name)
        return "instruments: id " + std::to_string(inst.id) + " is " + inst.name + " on venue " + std::to_string(inst.venue) +
               " but is held as " + held.name + " on venue " + std::to_string(held.venue);
      continue;
    }
    try {
      const InstrumentId id = registry.add(inst);
      if (id != inst.id)
        return "instruments: " + inst.name + " came out as id " + std::to_string(id) + ", expected " + std::to_string(inst.id);
    } catch (const std::exception& e) {
      return "instruments: id " + std::to_string(inst.id) + " (" + inst.name + "): " + e.what();
    }
  }
  for (InstrumentId id : batch.retired) {
    if (id >= registry.size()) return "instruments: retired id " + std::to_string(id) + " is not known";
    registry.retire(id);  // false when it already was: nothing to do
  }
  return {};
}

}  // namespace kappa::remote
