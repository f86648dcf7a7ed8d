#pragma once
// Exact big integers in a Qt JSON report. QJsonValue holds numbers as double (53 bits) and
// nlohmann's json at most 64 bits, but the chain's amounts are uint256 (a pool's reserve in wei is
// ~1e21 and up): printed through either they would be rounded. JSON itself has no limit on an
// integer's digits, so the report writes them as raw JSON numbers with their exact decimal text:
// rawInteger() puts a marker string in the QJsonObject, and expandRawIntegers() turns each marker
// of the serialized document into the bare digits. The marker carries a per-process random tag, so
// no string from elsewhere (a token's symbol, read from the chain) can pass for one.
//
// Readers: Python's json and JavaScript's JSON.parse with BigInt (or a reviver) keep them exact;
// QJsonDocument and nlohmann round values above 2^53 / 2^64 (tests read the digits from the text).
#include <QByteArray>
#include <QJsonValue>
#include <string>

namespace kappa::app {

// A marker for `decimal` (digits only; anything else becomes the string "invalid").
QJsonValue rawInteger(const std::string& decimal);
// The serialized document with every marker replaced by its digits.
QByteArray expandRawIntegers(const QByteArray& json);

}  // namespace kappa::app
