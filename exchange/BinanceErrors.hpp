#pragma once
// Binance USD-M futures' error answers: {"code":-1121,"msg":"Invalid symbol."} with the HTTP status
// Binance gives each (4XX for the client's mistakes, 401 for a bad key, 429/418 for rate limits).
// Thrown by the REST handlers, turned into the answer in one place (BinanceRestApi).
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace kappa::exchange::binance {

struct ApiError : std::runtime_error {
  ApiError(int httpStatus, int code, const std::string& msg) : std::runtime_error(msg), status(httpStatus), code(code) {}
  int status;
  int code;
  nlohmann::json body() const { return {{"code", code}, {"msg", what()}}; }
};

// The codes Binance documents (Error Codes page of the USD-M futures API), the ones served here.
inline ApiError unknownError() { return {500, -1000, "An unknown error occured while processing the request."}; }
inline ApiError tooManyRequests(const std::string& m) { return {429, -1003, m}; }
inline ApiError tooManyOrders(const std::string& m) { return {429, -1015, m}; }
inline ApiError unauthorized() { return {401, -1002, "You are not authorized to execute this request."}; }
inline ApiError timestampOutside() {
  return {400, -1021, "Timestamp for this request is outside of the recvWindow."};
}
inline ApiError badSignature() { return {400, -1022, "Signature for this request is not valid."}; }
inline ApiError mandatoryMissing(const std::string& p) {
  return {400, -1102, "Mandatory parameter '" + p + "' was not sent, was empty/null, or malformed."};
}
inline ApiError paramEmpty(const std::string& p) { return {400, -1105, "Parameter '" + p + "' was empty."}; }
inline ApiError illegalChars(const std::string& p) { return {400, -1100, "Illegal characters found in parameter '" + p + "'."}; }
inline ApiError badPrecision(const std::string& p) {
  return {400, -1111, "Precision is over the maximum defined for this asset."};
}
inline ApiError invalidTif() { return {400, -1115, "Invalid timeInForce."}; }
inline ApiError invalidOrderType() { return {400, -1116, "Invalid orderType."}; }
inline ApiError invalidSide() { return {400, -1117, "Invalid side."}; }
inline ApiError invalidSymbol() { return {400, -1121, "Invalid symbol."}; }
inline ApiError invalidOpeningPositionStatus() { return {400, -4140, "Invalid symbol status for opening position."}; }
inline ApiError invalidListenKey() { return {400, -1125, "This listenKey does not exist."}; }
inline ApiError invalidInterval() { return {400, -1120, "Invalid interval."}; }
inline ApiError illegalParam(const std::string& m) { return {400, -1130, "Data sent for parameter '" + m + "' is not valid."}; }
inline ApiError filterFailure(const std::string& f) { return {400, -1013, "Filter failure: " + f}; }
inline ApiError unknownOrder() { return {400, -2013, "Order does not exist."}; }
inline ApiError badApiKeyFormat() { return {401, -2014, "API-key format invalid."}; }
inline ApiError rejectedApiKey() { return {401, -2015, "Invalid API-key, IP, or permissions for action."}; }
inline ApiError marginInsufficient() { return {400, -2019, "Margin is insufficient."}; }
inline ApiError reduceOnlyRejected() { return {400, -2022, "ReduceOnly Order is rejected."}; }
inline ApiError cancelRejected() { return {400, -2011, "Unknown order sent."}; }
inline ApiError quantityTooSmall() { return {400, -4003, "Quantity less than or equal to zero."}; }
inline ApiError priceNotIncreasedByTick() { return {400, -4014, "Price not increased by tick size."}; }
inline ApiError quantityNotIncreasedByStep() { return {400, -4023, "Qty not increased by step size."}; }
inline ApiError minNotional(const std::string& n) {
  return {400, -4164, "Order's notional must be no smaller than " + n + " (unless you choose reduce only)."};
}
inline ApiError priceLessThanZero() { return {400, -4001, "Price less than 0."}; }
inline ApiError quantityGreaterThanMax() { return {400, -4005, "Quantity greater than max quantity."}; }
inline ApiError duplicateClientOrderId() { return {400, -4116, "ClientOrderId is duplicated."}; }
inline ApiError orderNotModifiable() { return {400, -4028, "Price or quantity not changed or order not modifiable."}; }
inline ApiError fokRejected() {
  return {400, -5021,
          "Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be "
          "recorded in the order history"};
}
inline ApiError gtxRejected() {
  return {400, -5022,
          "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not "
          "be recorded in the order history"};
}
inline ApiError noChangeInPositionSide() { return {400, -4059, "No need to change position side."}; }
inline ApiError noChangeInMultiAssets() { return {400, -4171, "Multi-Assets mode is already set."}; }
inline ApiError notFound(const std::string& path) { return {404, -1000, "Unknown endpoint " + path}; }

}  // namespace kappa::exchange::binance
