#pragma once
// Deribit's JSON-RPC error codes: the exchange's own name for each, and the reason a trader reads.
// Used by both sides of the protocol: the connector turns an error object into an order's reason,
// kappa-exchange answers with the same codes and messages Deribit does.
#include <string>

namespace kappa::deribit {

enum ErrorCode : int {
  kAuthorizationRequired = 10000,
  kError = 10001,
  kQtyTooLow = 10002,
  kOrderOverlap = 10003,
  kOrderNotFound = 10004,
  kPriceTooLow = 10005,
  kPriceTooHigh = 10007,
  kNotEnoughFunds = 10009,
  kAlreadyClosed = 10010,
  kBookClosed = 10012,
  kLockedByAdmin = 10019,
  kInvalidInstrument = 10020,
  kInvalidAmount = 10021,
  kInvalidQuantity = 10022,
  kInvalidPrice = 10023,
  kInvalidOrderId = 10025,
  kPricePrecisionExceeded = 10026,
  kNonIntegerContractAmount = 10027,
  kTooManyRequests = 10028,
  kNotOwnerOfOrder = 10029,
  kMustBeWebsocketRequest = 10030,
  kInvalidArgsForInstrument = 10031,
  kNotImplemented = 10033,
  kRetry = 10040,
  kSettlementInProgress = 10041,
  kPriceWrongTick = 10043,
  kMatchingEngineQueueFull = 10047,
  kNotOnThisServer = 10048,
  kCancelOnDisconnectFailed = 10049,
  kAlreadyFilled = 11008,
  kInvalidArguments = 11029,
  kOtherReject = 11030,
  kOtherError = 11031,
  kBadArgument = 11043,
  kNotOpenOrder = 11044,
  kBadRequest = 11050,
  kSystemMaintenance = 11051,
  kPostOnlyReject = 11054,
  kInternalServerError = 11094,
  kInvalidCredentials = 13004,
  kInvalidToken = 13009,  // "unauthorized"
  kTemporarilyUnavailable = 13028,
  // JSON-RPC 2.0's own codes, as Deribit uses them.
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kMissingParams = -32000,
};

// Deribit's message for the code ("too_many_requests"), or "" for a code it does not list.
const char* errorName(int code);
// What it means for the trader, in words ("rate limit exceeded: the exchange closed the session").
// Unknown codes keep the exchange's own message, with the code.
std::string errorReason(int code, const std::string& exchangeMessage = {});
// Errors after which the same request may be sent again later (the exchange did nothing).
bool isRetryable(int code);
// Errors that end the session: the exchange closes the connection after answering.
bool endsSession(int code);

}  // namespace kappa::deribit
