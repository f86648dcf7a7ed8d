#pragma once
// The faults a test or demo can inject into kappa-exchange's Binance side, from the command line
// (--binance-fault-...) and at run time (POST /kappa/binance/fault?action=..., loopback only; see
// exchange/README.md). The settings live here; Streams, RestApi and RateLimits act on them.
#include <string>

namespace kappa::exchange::binance {

struct Faults {
  // Diff depth: the next event of every depth stream is not sent (its ids are used up), so the one
  // after has U > previous u + 1 and a pu that is not the u the client saw.
  int skipUpdateIds = 0;
  // Diff depth: the next event of every depth stream carries a wrong pu (its U/u are contiguous).
  int puBreaks = 0;
  // GET /fapi/v1/depth: the next N answers are a snapshot kept from staleSnapshotAgeMs ago, older
  // than the events a client buffered since it subscribed.
  int staleSnapshots = 0;
  int staleSnapshotAgeMs = 3000;
  // The exchange's clock as signed requests and GET /fapi/v1/time see it, shifted by this many ms
  // (a client that does not measure the offset again meets -1021 once it exceeds recvWindow).
  long long clockShiftMs = 0;
  // The next N POST /fapi/v1/order are processed (the order exists, works and trades) but never
  // answered in time: "drop" closes the connection without an answer, "late" holds the answer for
  // orderLateMs (beyond the client's timeout the client never reads it); "slow" holds the request
  // itself orderLateMs before it is processed (and answered): a client that asks for the order
  // in between is told it does not exist (-2013), and then it does.
  int orderNoAnswer = 0;
  std::string orderNoAnswerMode = "drop";
  std::string orderNoAnswerVerb = "POST";  // or PUT (modify), DELETE (cancel)
  int orderLateMs = 3000;
  // REST: the next N requests (the fault control aside) find their connection closed as they
  // arrive, unanswered and unprocessed - a server closing a kept-alive connection just as a
  // request comes in. A client may send a GET again; an order's outcome is unknown to it.
  int closeOnRequest = 0;
  // User data: the next N fills push their ACCOUNT_UPDATE first and their ORDER_TRADE_UPDATE
  // accountUpdateGapMs later (Binance promises no order between the two; a client must neither count
  // the position as a mismatch nor book it twice). The account's later order events queue behind.
  int accountUpdateFirst = 0;
  int accountUpdateGapMs = 400;
  // Periodic forms (seconds, 0 = off).
  double skipEverySeconds = 0, puBreakEverySeconds = 0, dropEverySeconds = 0;
};

}  // namespace kappa::exchange::binance
