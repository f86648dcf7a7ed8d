#pragma once
// Binance USD-M futures REST answers read into plain structs (simdjson DOM: these are not on the
// market-data path). Each parser is false with `error` on an answer it cannot read, never throws.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/Instrument.hpp"
#include "venue/VenueTypes.hpp"
#include "venue/binance/BinanceDecoder.hpp"

namespace kappa::binance {

// {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}
struct ApiError {
  int code = 0;
  std::string msg;
};
bool parseApiError(std::string_view body, ApiError& out);

// GET /fapi/v1/time
bool parseServerTime(std::string_view body, std::uint64_t& serverTimeMs, std::string& error);

// One symbol of GET /fapi/v1/exchangeInfo, as an instrument (without id and venue) plus what the
// Instrument struct has no field for.
struct SymbolInfo {
  Instrument instrument;       // name = symbol; kind Perpetual or Future; Linear, USDT
  std::string pair;            // "BTCUSDT": the underlying pair (its index instrument)
  std::string status;          // TRADING, PENDING_TRADING, SETTLING, CLOSE, ...
  std::string contractType;    // PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER
  double minNotional = 0;      // MIN_NOTIONAL filter (USDT)
  Qty lotMinQty = 0;           // LOT_SIZE minQty (the step is instrument.minQty)
};
// The USDT-margined perpetuals and quarterlies of the given base assets ("BTC", "ETH"); every
// other symbol is left out (counted in `skipped`).
bool parseExchangeInfo(std::string_view body, const std::vector<std::string>& baseAssets, std::vector<SymbolInfo>& out,
                       std::size_t& skipped, std::string& error);
// The index instrument of an underlying pair ("BTCUSDT" -> "BTCUSDT-INDEX", kind Index).
Instrument indexInstrument(const std::string& pair, const std::string& baseAsset, Price tickSize);
// Whether a status means the symbol no longer trades for good (retire it).
bool isDelistedStatus(std::string_view status);

// GET /fapi/v1/depth: lastUpdateId and the levels as BookLevel events (action New).
bool parseDepthSnapshot(std::string_view body, std::uint64_t& lastUpdateId, std::vector<MdEvent>& levels, Nanos& ts,
                        std::string& error);

// One order object (POST/PUT/DELETE/GET /fapi/v1/order) or a list of them (GET /fapi/v1/openOrders).
bool parseOrder(std::string_view body, BinanceOrderUpdate& out, std::string& error);
bool parseOrders(std::string_view body, std::vector<BinanceOrderUpdate>& out, std::string& error);

// GET /fapi/v2/positionRisk: non-zero positions by symbol.
bool parsePositionRisk(std::string_view body, std::vector<BinancePositionUpdate>& out, std::string& error);

// GET /fapi/v2/account: the USDT asset as a VenueAccount (equity = margin balance).
bool parseAccount(std::string_view body, const std::string& asset, VenueAccount& out, std::string& error);

// POST /fapi/v1/listenKey
bool parseListenKey(std::string_view body, std::string& listenKey, std::string& error);

// What a trader should read for an order the exchange refused ({"code":-2019,...} and friends).
std::string describeOrderError(const ApiError& e);

// Our order id as Binance's newClientOrderId ("kappa-123") and back (0: not one of ours).
std::string clientOrderIdOf(OrderId id);
OrderId orderIdFromClientId(std::string_view clientOrderId);

}  // namespace kappa::binance
