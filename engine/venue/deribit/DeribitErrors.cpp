#include "venue/deribit/DeribitErrors.hpp"

namespace kappa::deribit {
namespace {

struct Entry {
  int code;
  const char* name;
  const char* reason;
};

constexpr Entry kErrors[] = {
    {kAuthorizationRequired, "authorization_required", "not logged in: the exchange needs authentication first"},
    {kError, "error", "the exchange refused the request"},
    {kQtyTooLow, "qty_too_low", "quantity below the instrument's minimum"},
    {kOrderOverlap, "order_overlap", "order would cross another of our own orders"},
    {kOrderNotFound, "order_not_found", "the exchange has no such order (already filled or cancelled?)"},
    {kPriceTooLow, "price_too_low", "price below the exchange's allowed band"},
    {kPriceTooHigh, "price_too_high", "price above the exchange's allowed band"},
    {kNotEnoughFunds, "not_enough_funds", "not enough funds: margin would exceed the account's equity"},
    {kAlreadyClosed, "already_closed", "the order is already closed"},
    {kBookClosed, "book_closed", "the instrument's book is closed"},
    {kLockedByAdmin, "locked_by_admin", "the account is locked by the exchange"},
    {kInvalidInstrument, "invalid_or_unsupported_instrument", "unknown or expired instrument"},
    {kInvalidAmount, "invalid_amount", "invalid amount"},
    {kInvalidQuantity, "invalid_quantity", "invalid quantity"},
    {kInvalidPrice, "invalid_price", "invalid price"},
    {kInvalidOrderId, "invalid_order_id", "invalid order id"},
    {kPricePrecisionExceeded, "price_precision_exceeded", "price has more decimals than the instrument allows"},
    {kNonIntegerContractAmount, "non_integer_contract_amount", "amount is not a whole number of contracts"},
    {kTooManyRequests, "too_many_requests", "rate limit exceeded: the exchange closed the session"},
    {kNotOwnerOfOrder, "not_owner_of_order", "the order belongs to another account"},
    {kMustBeWebsocketRequest, "must_be_websocket_request", "this request needs a WebSocket connection"},
    {kInvalidArgsForInstrument, "invalid_args_for_instrument", "these order options are not allowed on this instrument"},
    {kNotImplemented, "not_implemented", "not supported by the exchange"},
    {kRetry, "retry", "the exchange is busy: try again"},
    {kSettlementInProgress, "settlement_in_progress", "settlement in progress: trading pauses for a few seconds"},
    {kPriceWrongTick, "price_wrong_tick", "price is not a multiple of the tick size"},
    {kMatchingEngineQueueFull, "matching_engine_queue_full", "too many orders pending at the matching engine"},
    {kNotOnThisServer, "not_on_this_server", "not available on this server"},
    {kCancelOnDisconnectFailed, "cancel_on_disconnect_failed", "could not enable cancel-on-disconnect"},
    {kAlreadyFilled, "already_filled", "the order is already filled"},
    {kInvalidArguments, "invalid_arguments", "invalid arguments"},
    {kOtherReject, "other_reject", "rejected by the exchange"},
    {kOtherError, "other_error", "exchange error"},
    {kBadArgument, "bad_argument", "bad argument"},
    {kNotOpenOrder, "not_open_order", "the order is no longer open"},
    {kBadRequest, "bad_request", "malformed request"},
    {kSystemMaintenance, "system_maintenance", "the exchange is under maintenance"},
    {kPostOnlyReject, "post_only_reject", "post-only order would have traded at once"},
    {kInternalServerError, "internal_server_error", "the exchange had an internal error"},
    {kInvalidCredentials, "invalid_credentials", "invalid API key or secret"},
    {kInvalidToken, "unauthorized", "session not authorised (token expired or invalid)"},
    {kTemporarilyUnavailable, "temporarily_unavailable", "the exchange is temporarily unavailable"},
    {kParseError, "Parse error", "the exchange could not parse the request"},
    {kInvalidRequest, "Invalid Request", "invalid request"},
    {kMethodNotFound, "Method not found", "the exchange does not know this method"},
    {kInvalidParams, "Invalid params", "invalid parameters"},
    {kMissingParams, "Missing params", "missing parameters"},
};

const Entry* find(int code) {
  for (const Entry& e : kErrors)
    if (e.code == code) return &e;
  return nullptr;
}

}  // namespace

const char* errorName(int code) {
  const Entry* e = find(code);
  return e ? e->name : "";
}

std::string errorReason(int code, const std::string& exchangeMessage) {
  if (const Entry* e = find(code)) return e->reason;
  std::string r = "exchange error " + std::to_string(code);
  if (!exchangeMessage.empty()) r += ": " + exchangeMessage;
  return r;
}

bool isRetryable(int code) {
  return code == kRetry || code == kSettlementInProgress || code == kMatchingEngineQueueFull ||
         code == kSystemMaintenance || code == kTemporarilyUnavailable || code == kTooManyRequests;
}

bool endsSession(int code) { return code == kTooManyRequests; }

}  // namespace kappa::deribit
