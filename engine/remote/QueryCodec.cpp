#include "remote/QueryCodec.hpp"

#include <limits>
#include <optional>

#include "remote/WireValue.hpp"

namespace kappa::remote {

using wire::json;

namespace {

// Thrown inside request decoding, caught at decodeJournalQuery's edge.
struct Refused {
  std::string reason;
};
[[noreturn]] void refuse(std::string reason) { throw Refused{std::move(reason)}; }

const json* field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::int64_t integer(const char* key, const json& v, std::int64_t min, std::int64_t max) {
  if (!v.is_number_integer()) refuse(std::string(key) + ": must be a whole number, got " + v.type_name());
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    refuse(std::string(key) + ": out of range");
  const std::int64_t n = v.get<std::int64_t>();
  if (n < min || n > max)
    refuse(std::string(key) + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) + ".." +
           std::to_string(max) + ")");
  return n;
}

bool flag(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v) return false;
  if (!v->is_boolean()) refuse(std::string(key) + ": must be true or false, got " + v->type_name());
  return v->get<bool>();
}

std::string text(const json& j, const char* key) {
  const json* v = field(j, key);
  if (!v) return {};
  if (!v->is_string()) refuse(std::string(key) + ": must be a string, got " + v->type_name());
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > kMaxQueryString)
    refuse(std::string(key) + ": " + std::to_string(s.size()) + " characters (at most " + std::to_string(kMaxQueryString) + ")");
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) refuse(std::string(key) + ": contains a control character");
  return s;
}

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinInt = std::numeric_limits<std::int64_t>::min();

JournalQuery decodeQuery(const json& j) {
  JournalQuery q;
  JournalFilter& f = q.filter;
  if (const json* v = field(j, "from")) f.from = integer("from", *v, kMinInt, kMaxInt);
  if (const json* v = field(j, "to")) f.to = integer("to", *v, kMinInt, kMaxInt);
  f.instrument = text(j, "instrument");
  f.kind = text(j, "kind");
  for (char c : f.kind)
    if (!((c >= 'a' && c <= 'z') || c == '_')) refuse("kind: '" + f.kind + "' is not a journal kind");
  f.text = text(j, "text");
  if (const json* v = field(j, "strategy")) {
    if (v->is_string() && v->get_ref<const std::string&>() == "none") f.strategyMatch = JournalFilter::StrategyMatch::None;
    else if (v->is_number_integer()) {
      f.strategyMatch = JournalFilter::StrategyMatch::Id;
      f.strategyId = integer("strategy", *v, 0, kMaxInt);
    } else {
      refuse("strategy: must be an instance id or \"none\"");
    }
  }
  q.newestFirst = flag(j, "newestFirst");
  if (const json* v = field(j, "after")) {
    if (!v->is_array() || v->size() != 2) refuse("after: must be [ts, seq]");
    q.after = JournalCursor{integer("after ts", (*v)[0], kMinInt, kMaxInt), integer("after seq", (*v)[1], kMinInt, kMaxInt)};
  }
  const json* limit = field(j, "limit");
  if (!limit) refuse("limit: missing");
  q.limit = std::uint32_t(integer("limit", *limit, 1, kMaxJournalPageRows));
  q.countMatching = flag(j, "count");
  q.listStrategies = flag(j, "strategies");
  return q;
}

// ---- answers (MessagePack) ----

template <class T>
void putNullable(json& j, const std::optional<T>& v) {
  if (v) wire::Wire<T>::put(j, *v);
  else j = nullptr;
}
template <class T>
void getNullable(const json& j, std::optional<T>& v) {
  if (j.is_null()) return v.reset();
  T x{};
  wire::Wire<T>::get(j, x);
  v = x;
}
template <class T>
void get(const json& j, T& v) {
  wire::Wire<T>::get(j, v);
}

json encodeRow(const JournalQueryRow& r) {
  json a = json::array();
  auto& v = a.get_ref<json::array_t&>();
  v.reserve(12);
  v.emplace_back(r.seq);
  v.emplace_back(r.ts);
  v.emplace_back(r.kind);
  putNullable(v.emplace_back(), r.orderId);
  v.emplace_back(r.venue);
  v.emplace_back(r.instrument);
  putNullable(v.emplace_back(), r.strategy);
  v.emplace_back(r.side);
  putNullable(v.emplace_back(), r.price);
  putNullable(v.emplace_back(), r.qty);
  putNullable(v.emplace_back(), r.value);
  v.emplace_back(r.text);
  return a;
}

// Each field with its place in the row for the error ("[4]: expected a string ...").
template <class F>
void at(const json::array_t& a, std::size_t i, F read) {
  try {
    read(a[i]);
  } catch (wire::DecodeError& e) {
    e.path = "[" + std::to_string(i) + "]" + e.path;
    throw;
  }
}

JournalQueryRow decodeRow(const json& j) {
  if (!j.is_array() || j.size() < 12) wire::fail("expected a journal row (an array of 12), got " + wire::typeOf(j));
  const auto& a = j.get_ref<const json::array_t&>();  // a newer engine's extra fields are ignored
  JournalQueryRow r;
  at(a, 0, [&](const json& v) { get(v, r.seq); });
  at(a, 1, [&](const json& v) { get(v, r.ts); });
  at(a, 2, [&](const json& v) { get(v, r.kind); });
  at(a, 3, [&](const json& v) { getNullable(v, r.orderId); });
  at(a, 4, [&](const json& v) { get(v, r.venue); });
  at(a, 5, [&](const json& v) { get(v, r.instrument); });
  at(a, 6, [&](const json& v) { getNullable(v, r.strategy); });
  at(a, 7, [&](const json& v) { get(v, r.side); });
  at(a, 8, [&](const json& v) { getNullable(v, r.price); });
  at(a, 9, [&](const json& v) { getNullable(v, r.qty); });
  at(a, 10, [&](const json& v) { getNullable(v, r.value); });
  at(a, 11, [&](const json& v) { get(v, r.text); });
  return r;
}

// The answer's map, parsed with the guarded MessagePack reader; a missing key reads as null.
const json& member(const json& map, const char* key) {
  static const json null;
  auto it = map.find(key);
  return it == map.end() ? null : *it;
}

template <class F>
std::string decodeMap(std::string_view bytes, const char* what, F read) {
  json j;
  std::string error;
  if (!wire::parseMessagePack(bytes, j, error)) return std::string(what) + ": " + error;
  if (!j.is_object()) return std::string(what) + ": expected a map, got " + wire::typeOf(j);
  wire::DecodeBudget budget(wire::decodeBudgetFor(bytes.size()));
  try {
    read(j);
    return {};
  } catch (const wire::DecodeError& e) {
    return std::string(what) + ": " + e.message();
  }
}

template <class T>
void memberField(const json& map, const char* key, T& out) {
  try {
    wire::Wire<T>::get(member(map, key), out);
  } catch (wire::DecodeError& e) {
    e.path = std::string(".") + key + e.path;
    throw;
  }
}

}  // namespace

std::string encodeJournalQuery(const JournalQuery& q) {
  const JournalFilter& f = q.filter;
  json j = {{"newestFirst", q.newestFirst}, {"limit", q.limit}};
  if (f.from) j["from"] = *f.from;
  if (f.to) j["to"] = *f.to;
  if (!f.instrument.empty()) j["instrument"] = f.instrument;
  if (!f.kind.empty()) j["kind"] = f.kind;
  if (!f.text.empty()) j["text"] = f.text;
  if (f.strategyMatch == JournalFilter::StrategyMatch::None) j["strategy"] = "none";
  if (f.strategyMatch == JournalFilter::StrategyMatch::Id) j["strategy"] = f.strategyId;
  if (q.after) j["after"] = json::array({q.after->ts, q.after->seq});
  if (q.countMatching) j["count"] = true;
  if (q.listStrategies) j["strategies"] = true;
  return j.dump();
}

std::string decodeJournalQuery(std::string_view body, JournalQuery& out) {
  if (body.size() > kMaxQueryBytes)
    return "journal query: body of " + std::to_string(body.size()) + " bytes (at most " + std::to_string(kMaxQueryBytes) + ")";
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return std::string("journal query: not valid JSON (") + e.what() + ")";
  }
  if (!j.is_object()) return std::string("journal query: must be a JSON object, got ") + j.type_name();
  try {
    out = decodeQuery(j);
    return {};
  } catch (const Refused& r) {
    return "journal query: " + r.reason;
  } catch (const std::exception& e) {
    return std::string("journal query: ") + e.what();
  }
}

std::string encodeJournalPage(const JournalPage& page) {
  json rows = json::array();
  for (const JournalQueryRow& r : page.rows) rows.push_back(encodeRow(r));
  json j = {{"error", page.error}, {"more", page.more}, {"rows", std::move(rows)}};
  putNullable(j["matching"], page.matching);
  if (page.strategies) wire::Wire<std::vector<std::int64_t>>::put(j["strategies"], *page.strategies);
  else j["strategies"] = nullptr;
  const std::vector<std::uint8_t> bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

std::string decodeJournalPage(std::string_view bytes, JournalPage& out) {
  JournalPage page;
  std::string error = decodeMap(bytes, "journal page", [&](const json& j) {
    memberField(j, "error", page.error);
    memberField(j, "more", page.more);
    const json& rows = member(j, "rows");
    if (!rows.is_array()) wire::fail("rows: expected an array, got " + wire::typeOf(rows));
    wire::DecodeBudget::charge(rows.size(), sizeof(JournalQueryRow));
    page.rows.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      try {
        page.rows.push_back(decodeRow(rows[i]));
      } catch (wire::DecodeError& e) {
        e.path = "rows[" + std::to_string(i) + "]" + e.path;
        throw;
      }
    }
    try {
      getNullable(member(j, "matching"), page.matching);
    } catch (wire::DecodeError& e) {
      e.path = ".matching" + e.path;
      throw;
    }
    if (!member(j, "strategies").is_null()) memberField(j, "strategies", page.strategies.emplace());
  });
  if (error.empty()) out = std::move(page);
  return error;
}

std::string encodePluginFiles(const std::vector<std::string>& files, const std::string& error) {
  json j = {{"error", error}};
  wire::Wire<std::vector<std::string>>::put(j["files"], files);
  const std::vector<std::uint8_t> bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

std::string decodePluginFiles(std::string_view bytes, std::vector<std::string>& files, std::string& error) {
  std::vector<std::string> decodedFiles;
  std::string decodedError;
  std::string problem = decodeMap(bytes, "plugin files", [&](const json& j) {
    memberField(j, "error", decodedError);
    memberField(j, "files", decodedFiles);
  });
  if (!problem.empty()) return problem;
  files = std::move(decodedFiles);
  error = std::move(decodedError);
  return {};
}

}  // namespace kappa::remote
