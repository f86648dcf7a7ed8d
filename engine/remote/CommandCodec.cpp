#include "remote/CommandCodec.hpp"

#include <array>
#include <limits>

#include <nlohmann/json.hpp>

namespace kappa::remote {

using json = nlohmann::json;

namespace {

// Thrown inside decoding, caught at decodeCommand's edge.
struct Refused {
  std::string reason;
};
[[noreturn]] void refuse(std::string reason) { throw Refused{std::move(reason)}; }

constexpr std::array<const char*, std::variant_size_v<Command>> kVerbs = {
    "submit",        "cancel",          "cancel_all",     "replace",         "halt",          "reduce",
    "flatten",       "resume",          "risk_limit",     "load_plugin",     "unload_plugin", "launch_strategy",
    "start_strategy", "stop_strategy", "remove_strategy", "strategy_param", "focus",
    "speed_up"};

// Enum names as the body spells them (readable in logs).
constexpr std::array<const char*, 2> kSides = {"buy", "sell"};
constexpr std::array<const char*, 2> kTypes = {"limit", "market"};
constexpr std::array<const char*, 2> kTifs = {"gtc", "ioc"};
constexpr std::array<const char*, 4> kOrigins = {"manual", "strategy", "hedger", "system"};

template <std::size_t N>
std::string oneOf(const std::array<const char*, N>& names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

// The body's fields, each checked as it is read.
class Body {
 public:
  explicit Body(const json& j) : j_(j) {}

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  const json& need(const char* key) const {
    const json* v = find(key);
    if (!v) refuse(std::string(key) + ": missing");
    return *v;
  }

  std::int64_t integer(const char* key, const json& v, std::int64_t min, std::int64_t max) const {
    if (v.is_number_unsigned()) {
      const std::uint64_t u = v.get<std::uint64_t>();
      if (u > std::uint64_t(max)) refuse(std::string(key) + ": " + std::to_string(u) + " is above " + std::to_string(max));
      if (std::int64_t(u) < min)
        refuse(std::string(key) + ": " + std::to_string(u) + " is out of range (" + std::to_string(min) + ".." +
               std::to_string(max) + ")");
      return std::int64_t(u);
    }
    if (v.is_number_integer()) {
      const std::int64_t s = v.get<std::int64_t>();
      if (s < min || s > max)
        refuse(std::string(key) + ": " + std::to_string(s) + " is out of range (" + std::to_string(min) + ".." +
               std::to_string(max) + ")");
      return s;
    }
    if (v.is_number_float()) refuse(std::string(key) + ": must be a whole number (fixed point, value x 1e8 for prices and quantities), got " + v.dump());
    refuse(std::string(key) + ": must be a number, got " + std::string(v.type_name()));
  }
  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max) const { return integer(key, need(key), min, max); }
  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max, std::int64_t otherwise) const {
    const json* v = find(key);
    return v ? integer(key, *v, min, max) : otherwise;
  }
  std::uint64_t unsignedInteger(const char* key, bool required, std::uint64_t otherwise = 0) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return otherwise;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    if (v->is_number_integer()) refuse(std::string(key) + ": must not be negative, got " + v->dump());
    if (v->is_number_float()) refuse(std::string(key) + ": must be a whole number, got " + v->dump());
    refuse(std::string(key) + ": must be a number, got " + std::string(v->type_name()));
  }
  bool flag(const char* key, bool otherwise) const {
    const json* v = find(key);
    if (!v) return otherwise;
    if (!v->is_boolean()) refuse(std::string(key) + ": must be true or false, got " + std::string(v->type_name()));
    return v->get<bool>();
  }
  static std::string text(const char* key, const json& v) {
    if (!v.is_string()) refuse(std::string(key) + ": must be a string, got " + std::string(v.type_name()));
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > kMaxCommandString)
      refuse(std::string(key) + ": " + std::to_string(s.size()) + " characters (at most " + std::to_string(kMaxCommandString) + ")");
    for (unsigned char c : s)  // no line breaks or escapes forged into the log and journal lines it ends up in
      if (c < 0x20 || c == 0x7f) refuse(std::string(key) + ": contains a control character");
    return s;
  }
  std::string text(const char* key, bool required) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return {};
    std::string s = text(key, *v);
    if (required && s.empty()) refuse(std::string(key) + ": empty");
    return s;
  }
  template <class E, std::size_t N>
  E name(const char* key, const std::array<const char*, N>& names, std::optional<E> otherwise) const {
    const json* v = find(key);
    if (!v) {
      if (!otherwise) refuse(std::string(key) + ": missing (" + oneOf(names) + ")");
      return *otherwise;
    }
    const std::string s = text(key, *v);
    for (std::size_t i = 0; i < N; ++i)
      if (s == names[i]) return E(i);
    refuse(std::string(key) + ": '" + s + "' is not one of " + oneOf(names));
  }

 private:
  const json& j_;
};

constexpr std::int64_t kMaxFixed = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxId32 = std::int64_t(std::numeric_limits<std::uint32_t>::max());

InstrumentId instrumentId(const Body& b, const char* key, const json& v) {
  const auto id = b.integer(key, v, 0, kMaxId32 - 1);  // kNoInstrument is "none", not an id
  return InstrumentId(id);
}

Command decode(std::size_t verb, const Body& b) {
  switch (verb) {
    case 0: {
      cmd::Submit c;
      OrderRequest& r = c.request;
      r.instrument = instrumentId(b, "instrument", b.need("instrument"));
      r.side = b.name<Side>("side", kSides, std::nullopt);
      r.type = b.name<OrderType>("type", kTypes, OrderType::Limit);
      r.tif = b.name<TimeInForce>("tif", kTifs, TimeInForce::GoodTillCancel);
      r.postOnly = b.flag("postOnly", false);
      r.reduceOnly = b.flag("reduceOnly", false);
      r.price = r.type == OrderType::Limit ? b.integer("price", 1, kMaxFixed) : b.integer("price", 0, kMaxFixed, 0);
      r.qty = b.integer("qty", 1, kMaxFixed);
      r.origin = b.name<OrderOrigin>("origin", kOrigins, OrderOrigin::Manual);
      r.tag = b.text("tag", false);
      r.strategy = std::uint32_t(b.integer("strategy", 0, kMaxId32, 0));
      r.clientRef = b.unsignedInteger("clientRef", false);
      return c;
    }
    case 1: return cmd::Cancel{b.unsignedInteger("id", true)};
    case 2: {
      cmd::CancelAll c;
      if (const json* v = b.find("instrument")) c.instrument = instrumentId(b, "instrument", *v);
      return c;
    }
    case 3: {
      cmd::Replace c;
      c.id = b.unsignedInteger("id", true);
      c.price = b.integer("price", 1, kMaxFixed);
      c.qty = b.integer("qty", 1, kMaxFixed);
      return c;
    }
    case 4: return cmd::Halt{b.text("reason", false)};
    case 5: return cmd::Reduce{b.text("reason", false)};
    case 6: return cmd::Flatten{b.text("reason", false)};
    case 7: return cmd::Resume{};
    case 8: {
      cmd::ChangeRiskLimit c{b.text("assignment", true)};
      if (c.assignment.find('=') == std::string::npos) refuse("assignment: '" + c.assignment + "' is not NAME=VALUE");
      return c;
    }
    case 9: return cmd::LoadPlugin{b.text("path", true), b.flag("approve", false)};
    case 10: return cmd::UnloadPlugin{b.text("path", true)};
    case 11: {
      cmd::LaunchStrategy c;
      c.path = b.text("path", true);
      c.strategyId = b.text("strategyId", false);
      if (const json* params = b.find("params")) {
        if (!params->is_array()) refuse("params: must be a list of [name, value] pairs");
        if (params->size() > kMaxCommandList)
          refuse("params: " + std::to_string(params->size()) + " entries (at most " + std::to_string(kMaxCommandList) + ")");
        for (const json& p : *params) {
          if (!p.is_array() || p.size() != 2) refuse("params: each entry must be [name, value]");
          std::string name = Body::text("params name", p[0]);
          if (name.empty()) refuse("params: a parameter without a name");
          c.params.emplace_back(std::move(name), Body::text("params value", p[1]));
        }
      }
      c.start = b.flag("start", true);
      c.approve = b.flag("approve", false);
      return c;
    }
    case 12: return cmd::StartStrategy{std::uint32_t(b.integer("id", 0, kMaxId32))};
    case 13: return cmd::StopStrategy{std::uint32_t(b.integer("id", 0, kMaxId32))};
    case 14: return cmd::RemoveStrategy{std::uint32_t(b.integer("id", 0, kMaxId32))};
    case 15: {
      cmd::SetStrategyParam c;
      c.id = std::uint32_t(b.integer("id", 0, kMaxId32));
      c.name = b.text("name", true);
      c.value = b.text("value", false);
      return c;
    }
    case 16: {
      cmd::Focus c;
      c.client = b.text("client", false);  // absent (an older GUI): the sending user's one lease
      if (c.client.size() > kMaxFocusClient)
        refuse("client: " + std::to_string(c.client.size()) + " characters (at most " + std::to_string(kMaxFocusClient) + ")");
      const json& list = b.need("instruments");
      if (!list.is_array()) refuse("instruments: must be a list of instrument ids");
      if (list.size() > kMaxCommandList)
        refuse("instruments: " + std::to_string(list.size()) + " entries (at most " + std::to_string(kMaxCommandList) + ")");
      for (const json& v : list) c.instruments.push_back(instrumentId(b, "instruments", v));
      return c;
    }
    case 17: return cmd::SpeedUp{b.unsignedInteger("id", true)};
  }
  refuse("unknown verb");
}

json paramsJson(const ParamAssignments& params) {
  json a = json::array();
  for (const auto& [name, value] : params) a.push_back(json::array({name, value}));
  return a;
}

json encode(const Command& command) {
  return std::visit(
      [](const auto& c) -> json {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cmd::Submit>) {
          const OrderRequest& r = c.request;
          json j = {{"instrument", r.instrument},
                    {"side", kSides[std::size_t(r.side) % kSides.size()]},
                    {"type", kTypes[std::size_t(r.type) % kTypes.size()]},
                    {"tif", kTifs[std::size_t(r.tif) % kTifs.size()]},
                    {"postOnly", r.postOnly},
                    {"reduceOnly", r.reduceOnly},
                    {"price", r.price},
                    {"qty", r.qty},
                    {"origin", kOrigins[std::size_t(r.origin) % kOrigins.size()]},
                    {"strategy", r.strategy},
                    {"clientRef", r.clientRef}};
          if (!r.tag.empty()) j["tag"] = r.tag;
          return j;
        } else if constexpr (std::is_same_v<T, cmd::Cancel>) {
          return {{"id", c.id}};
        } else if constexpr (std::is_same_v<T, cmd::CancelAll>) {
          return c.instrument == kNoInstrument ? json::object() : json{{"instrument", c.instrument}};
        } else if constexpr (std::is_same_v<T, cmd::Replace>) {
          return {{"id", c.id}, {"price", c.price}, {"qty", c.qty}};
        } else if constexpr (std::is_same_v<T, cmd::Halt> || std::is_same_v<T, cmd::Reduce> || std::is_same_v<T, cmd::Flatten>) {
          return {{"reason", c.reason}};
        } else if constexpr (std::is_same_v<T, cmd::Resume>) {
          return json::object();
        } else if constexpr (std::is_same_v<T, cmd::ChangeRiskLimit>) {
          return {{"assignment", c.assignment}};
        } else if constexpr (std::is_same_v<T, cmd::LoadPlugin>) {
          return {{"path", c.path}, {"approve", c.approve}};
        } else if constexpr (std::is_same_v<T, cmd::UnloadPlugin>) {
          return {{"path", c.path}};
        } else if constexpr (std::is_same_v<T, cmd::LaunchStrategy>) {
          return {{"path", c.path}, {"strategyId", c.strategyId}, {"params", paramsJson(c.params)}, {"start", c.start},
                  {"approve", c.approve}};
        } else if constexpr (std::is_same_v<T, cmd::StartStrategy> || std::is_same_v<T, cmd::StopStrategy> ||
                             std::is_same_v<T, cmd::RemoveStrategy>) {
          return {{"id", c.id}};
        } else if constexpr (std::is_same_v<T, cmd::SetStrategyParam>) {
          return {{"id", c.id}, {"name", c.name}, {"value", c.value}};
        } else if constexpr (std::is_same_v<T, cmd::Focus>) {
          return {{"client", c.client}, {"instruments", c.instruments}};
        } else {
          static_assert(std::is_same_v<T, cmd::SpeedUp>);
          return {{"id", c.id}};
        }
      },
      command);
}

std::optional<json> parseObject(std::string_view body, std::string& error) {
  if (body.size() > kMaxCommandBytes) {
    error = "body of " + std::to_string(body.size()) + " bytes (at most " + std::to_string(kMaxCommandBytes) + ")";
    return std::nullopt;
  }
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error; out_of_range for a number beyond a double
    error = std::string("body is not valid JSON (") + e.what() + ")";
    return std::nullopt;
  }
  if (!j.is_object()) {
    error = std::string("body must be a JSON object, got ") + j.type_name();
    return std::nullopt;
  }
  return j;
}

}  // namespace

const char* verbOf(const Command& command) { return kVerbs[command.index()]; }

std::string encodeCommand(const Command& command) { return encode(command).dump(); }

std::string decodeCommand(std::string_view verb, std::string_view body, Command& out) {
  std::size_t index = kVerbs.size();
  for (std::size_t i = 0; i < kVerbs.size(); ++i)
    if (verb == kVerbs[i]) index = i;
  if (index == kVerbs.size()) {
    std::string shown(verb.substr(0, 64));
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return "unknown command '" + shown + "'";
  }
  const std::string name = kVerbs[index];
  std::string error;
  auto j = parseObject(body, error);
  if (!j) return name + ": " + error;
  try {
    out = decode(index, Body(*j));
    return {};
  } catch (const Refused& r) {
    return name + ": " + r.reason;
  } catch (const std::exception& e) {
    return name + ": " + e.what();
  }
}

std::string encodeAnswer(const CommandAnswer& answer) {
  json j = {{"accepted", answer.accepted}, {"reason", answer.reason}, {"orderId", answer.orderId}};
  return j.dump();
}

std::string decodeAnswer(std::string_view body, CommandAnswer& out) {
  std::string error;
  auto j = parseObject(body, error);
  if (!j) return "answer: " + error;
  try {
    const Body b(*j);
    CommandAnswer a;
    a.accepted = b.flag("accepted", false);
    if (!b.find("accepted")) refuse("accepted: missing");
    if (const json* r = b.find("reason")) {
      if (!r->is_string()) refuse("reason: must be a string");
      a.reason = r->get<std::string>().substr(0, kMaxCommandString);
    }
    a.orderId = b.unsignedInteger("orderId", false);
    out = std::move(a);
    return {};
  } catch (const Refused& r) {
    return "answer: " + r.reason;
  } catch (const std::exception& e) {
    return std::string("answer: ") + e.what();
  }
}

}  // namespace kappa::remote
