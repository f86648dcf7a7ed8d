#include "risk/RiskConfigFile.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace kappa {
namespace {

using Json = nlohmann::json;

// A value as the user wrote it, for messages. Text that is not UTF-8 (a damaged journal row, a
// --risk argument) is shown with replacement characters rather than thrown on.
std::string shown(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

constexpr const char* kOutOfRange = "is out of range (a number must lie within about +-1.8e308)";

// A read-only SAX pass over the text, for what the JSON library's DOM parse does not say: where
// a number too large for a double sits (it reports the token only), and a key given twice in one
// object (it keeps the last silently, losing the first). Its own pass: the library's callback
// parser rescans the parent object after every member (quadratic on 100,000 entries).
class JsonWalker : public nlohmann::json_sax<Json> {
 public:
  std::string errorPath, token;  // at a parse error (the overflow)
  std::size_t position = 0;
  bool failed = false;
  std::string duplicate;         // the first key given twice, as its path

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    value();
    stack_.push_back({true, {}, 0, {}});
    return true;
  }
  bool key(string_t& k) override {
    Frame& f = stack_.back();
    f.name = k;
    if (!f.keys.insert(k).second && duplicate.empty()) duplicate = path(false);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    value();
    stack_.push_back({false, {}, 0, {}});
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t at, const std::string& lastToken, const nlohmann::detail::exception&) override {
    failed = true;
    position = at;
    token = lastToken;
    errorPath = path(true);
    return false;
  }

 private:
  struct Frame {
    bool object;
    std::string name;
    std::size_t count;  // an array's elements so far
    std::unordered_set<std::string> keys;
  };
  std::vector<Frame> stack_;
  bool value() {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().count;
    return true;
  }
  std::string path(bool atError) const {
    std::string p;
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      // An array's element in progress: the last one counted, or (at an error) the next one.
      const std::string part =
          f.object ? f.name : std::to_string(atError && i + 1 == stack_.size() ? f.count : f.count - 1);
      p += (p.empty() ? "" : "/") + part;
    }
    return p;
  }
};

std::string lineOf(const std::string& text, std::size_t position) {
  const std::size_t end = std::min(position, text.size());
  return std::to_string(1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(end), '\n'));
}

std::string knownLimitKeys(std::uint8_t scopeBit) {
  std::string s;
  for (std::size_t i = 0; i < kLimitCount; ++i)
    if (infoOf(Limit(i)).scopes & scopeBit) s += (s.empty() ? "" : ", ") + std::string(infoOf(Limit(i)).key);
  return s;
}

const char* scopeName(LimitScopeKind k) {
  switch (k) {
    case LimitScopeKind::Account: return "account";
    case LimitScopeKind::Instrument: return "instruments";
    case LimitScopeKind::Strategy: return "strategies";
    case LimitScopeKind::Underlying: return "underlyings";
    case LimitScopeKind::Venue: return "venues";
  }
  return "?";
}

// A value quoted in a message. --risk values are any bytes: invalid UTF-8 is shown replaced (a
// plain dump() throws on it, and the exception ended kappa).

// One limit's value: a number, "off"/"on", a boolean, or {"value": N, "enabled": B}.
bool readLimit(Limit limit, const Json& v, LimitSetting* out, std::string* why) {
  const LimitInfo& info = infoOf(limit);
  auto number = [&](double x) {
    if (!std::isfinite(x) || x < 0) {
      *why = "must be a number >= 0 (" + std::string(info.unit) + ")";
      return false;
    }
    if (info.counted && x < 1) {
      *why = "must be at least 1 (" + std::string(info.unit) + "), or \"off\"";
      return false;
    }
    if (x > info.max) {
      *why = "must be at most " + formatRiskNumber(info.max) + " (" + std::string(info.unit) + "), or \"off\"";
      return false;
    }
    out->value = x;
    out->enabled = true;
    return true;
  };
  if (v.is_number()) {
    if (info.flag) {
      *why = "is on/off: write true, false, \"on\" or \"off\"";
      return false;
    }
    return number(v.get<double>());
  }
  if (v.is_boolean() || (v.is_string() && (v == "on" || v == "off"))) {
    const bool on = v.is_boolean() ? v.get<bool>() : v == "on";
    if (on && !info.flag && !out->set()) {
      *why = "\"on\" needs a value here: write the number";
      return false;
    }
    if (!out->set()) out->value = info.flag ? 1 : 0;
    out->enabled = on;
    return true;
  }
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it.key() != "value" && it.key() != "enabled") {
        *why = "unknown field \"" + it.key() + "\" (expected \"value\" and \"enabled\")";
        return false;
      }
    if (v.contains("value")) {
      if (!v["value"].is_number()) {
        *why = "\"value\" must be a number";
        return false;
      }
      if (!number(v["value"].get<double>())) return false;
    } else if (!info.flag) {
      *why = "needs a \"value\"";
      return false;
    } else {
      out->value = 1;
    }
    if (v.contains("enabled")) {
      if (!v["enabled"].is_boolean()) {
        *why = "\"enabled\" must be true or false";
        return false;
      }
      out->enabled = v["enabled"].get<bool>();
    }
    return true;
  }
  *why = std::string("must be a number") + (info.flag ? " or on/off" : "") + " or \"off\" (got " + shown(v) + ")";
  return false;
}

bool readLimitSet(const Json& obj, LimitScopeKind scope, const std::string& path, LimitSet* out, std::string* error) {
  if (!obj.is_object()) {
    *error = path + ": must be an object of limits";
    return false;
  }
  const std::uint8_t bit = std::uint8_t(1 << int(scope));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string key = path + "/" + it.key();
    const auto limit = limitByKey(it.key());
    if (!limit) {
      *error = key + ": unknown limit (known here: " + knownLimitKeys(bit) + ")";
      return false;
    }
    if (!(infoOf(*limit).scopes & bit)) {
      *error = key + ": cannot be set per " + std::string(scopeName(scope)) + " (only: " + knownLimitKeys(bit) + ")";
      return false;
    }
    std::string why;
    if (!readLimit(*limit, it.value(), &(*out)[std::size_t(*limit)], &why)) {
      *error = key + ": " + why;
      return false;
    }
  }
  return true;
}

bool readTrigger(Trigger t, const Json& v, TriggerSetting* out, std::string* why) {
  auto threshold = [&](const Json& x) {
    if (!x.is_number() || !std::isfinite(x.get<double>()) || x.get<double>() < 0) {
      *why = "threshold must be a number >= 0 (" + std::string(unitOf(t)) + ")";
      return false;
    }
    out->threshold = x.get<double>();
    return true;
  };
  auto action = [&](const Json& x) {
    const auto a = x.is_string() ? triggerActionByName(x.get<std::string>()) : std::nullopt;
    if (!a) {
      *why = "action must be \"halt\", \"reduce\" or \"off\" (got " + shown(x) + ")";
      return false;
    }
    out->action = *a;
    return true;
  };
  if (v.is_number()) return threshold(v);
  if (v.is_string()) return action(v);
  if (!v.is_object()) {
    *why = "must be {\"threshold\": N, \"action\": \"halt\"|\"reduce\"|\"off\"} (got " + shown(v) + ")";
    return false;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "threshold") {
      if (!threshold(it.value())) return false;
    } else if (it.key() == "action") {
      if (!action(it.value())) return false;
    } else {
      *why = "unknown field \"" + it.key() + "\" (expected \"threshold\" and \"action\")";
      return false;
    }
  }
  return true;
}

std::string numberText(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string limitJson(Limit l, const LimitSetting& s) {
  if (infoOf(l).flag) return s.enabled ? "true" : "false";
  if (s.enabled) return numberText(s.value);
  // Switched off without a value of its own ("off" where nothing set one): written as it was read,
  // not as {"value": 0, ...}, which is no valid value to read back.
  const bool valid = std::isfinite(s.value) && s.value >= 0 && !(infoOf(l).counted && s.value < 1);
  if (!valid) return "\"off\"";
  return "{\"value\": " + numberText(s.value) + ", \"enabled\": false}";
}

void writeLimitSet(std::ostringstream& o, const LimitSet& set, const char* indent, bool comments) {
  bool first = true;
  for (std::size_t i = 0; i < kLimitCount; ++i) {
    if (!set[i].set()) continue;
    const LimitInfo& info = infoOf(Limit(i));
    if (!first) o << ",\n";
    first = false;
    if (comments) o << indent << "// " << info.what << " (" << info.unit << ")\n";
    o << indent << '"' << info.key << "\": " << limitJson(Limit(i), set[i]);
  }
  o << "\n";
}

void writeScoped(std::ostringstream& o, const char* name, const std::vector<ScopedLimits>& list) {
  o << "  \"" << name << "\": {";
  bool first = true;
  for (const ScopedLimits& s : list) {
    // Keys come from --risk too: quoted and escaped as JSON (invalid UTF-8 replaced), never raw.
    o << (first ? "\n" : ",\n") << "    " << Json(s.key).dump(-1, ' ', false, Json::error_handler_t::replace) << ": {\n";
    first = false;
    writeLimitSet(o, s.limits, "      ", false);
    o << "    }";
  }
  o << (first ? "}" : "\n  }");
}

}  // namespace

bool parseRiskConfig(const std::string& text, const std::string& source, RiskConfig* out, std::string* error) {
  Json doc;
  try {
    doc = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    // e.what() says "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string what = e.what();
    const auto at = what.find("parse error");
    *error = source + ": " + (at == std::string::npos ? what : what.substr(at));
    return false;
  } catch (const Json::out_of_range&) {
    // A number beyond a double (1e400): name its key and line, as for any other bad value.
    JsonWalker where;
    Json::sax_parse(text, &where, Json::input_format_t::json, true, /*ignore_comments=*/true);
    *error = source + ": " + (where.failed ? (where.errorPath.empty() ? "" : where.errorPath + ": ") + where.token + " " +
                                                 kOutOfRange + " (line " + lineOf(text, where.position) + ")"
                                           : std::string("a number ") + kOutOfRange);
    return false;
  } catch (const Json::exception& e) {
    *error = source + ": " + e.what();
    return false;
  }
  auto fail = [&](const std::string& why) {
    *error = source + ": " + why;
    return false;
  };
  if (!doc.is_object()) return fail("the top level must be an object");
  JsonWalker keys;
  Json::sax_parse(text, &keys, Json::input_format_t::json, true, /*ignore_comments=*/true);
  if (!keys.duplicate.empty()) return fail(keys.duplicate + ": given twice (which one is meant cannot be known)");
  // On top of the defaults: a key left out keeps its documented default; switching a check off
  // takes an explicit "off", so nothing is silently unprotected.
  RiskConfig c = RiskConfig::defaults();
  c.source = source;
  std::string why;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    if (key == "version") {
      // Compared as the 64-bit number it is: 4294967297 is not 1 (an int would have wrapped).
      const bool one = v.is_number_unsigned() ? v.get<std::uint64_t>() == 1
                                              : v.is_number_integer() && v.get<std::int64_t>() == 1;
      if (!one) return fail("version: this kappa reads version 1 (got " + shown(v) + ")");
    } else if (key == "account") {
      if (!readLimitSet(v, LimitScopeKind::Account, "account", &c.account, &why)) return fail(why);
    } else if (key == "instruments" || key == "strategies" || key == "underlyings" || key == "venues") {
      if (!v.is_object()) return fail(key + ": must be an object keyed by " +
                                       (key == "instruments" ? "instrument name (or venue:name), pattern or @kind"
                                        : key == "strategies" ? "strategy id or *"
                                        : key == "venues"     ? "venue name (sim, deribit, binance-futures)"
                                                              : "underlying"));
      const LimitScopeKind scope = key == "instruments"  ? LimitScopeKind::Instrument
                                   : key == "strategies" ? LimitScopeKind::Strategy
                                   : key == "venues"     ? LimitScopeKind::Venue
                                                         : LimitScopeKind::Underlying;
      auto& list = key == "instruments"  ? c.instruments
                   : key == "strategies" ? c.strategies
                   : key == "venues"     ? c.venues
                                         : c.underlyings;
      // The entries by key, for the defaults' entries the file refines: a linear search per key
      // made a file of n entries cost n^2 string compares (30,000 entries took 12 s).
      std::unordered_map<std::string, std::size_t> index;
      for (std::size_t i = 0; i < list.size(); ++i) index.emplace(list[i].key, i);
      for (auto e = v.begin(); e != v.end(); ++e) {
        if (scope == LimitScopeKind::Instrument && e.key().rfind('@', 0) == 0 && e.key() != "@perpetual" &&
            e.key() != "@future" && e.key() != "@option" && e.key() != "@spot" && e.key() != "@index")
          return fail(key + "/" + e.key() + ": unknown kind (known: @perpetual, @future, @option, @spot)");
        const auto [at, added] = index.emplace(e.key(), list.size());
        if (added) list.push_back({e.key(), {}});
        if (!readLimitSet(e.value(), scope, key + "/" + e.key(), &list[at->second].limits, &why)) return fail(why);
      }
    } else if (key == "triggers") {
      if (!v.is_object()) return fail("triggers: must be an object keyed by trigger");
      for (auto e = v.begin(); e != v.end(); ++e) {
        const auto t = triggerByKey(e.key());
        if (!t) {
          std::string known;
          for (std::size_t i = 0; i < kTriggerCount; ++i) known += (i ? ", " : "") + std::string(nameOf(Trigger(i)));
          return fail("triggers/" + e.key() + ": unknown trigger (known: " + known + ")");
        }
        if (!readTrigger(*t, e.value(), &c.triggers[std::size_t(*t)], &why)) return fail("triggers/" + e.key() + ": " + why);
      }
    } else {
      return fail(key + ": unknown section (known: version, account, venues, instruments, strategies, underlyings, triggers)");
    }
  }
  *out = std::move(c);
  return true;
}

bool loadRiskConfig(const std::string& path, RiskConfig* out, std::string* error, bool* created) {
  if (created) *created = false;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // Missing: create it with the defaults, so the user has a documented file to edit.
    RiskConfig d = RiskConfig::defaults();
    d.source = path;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!(file << riskConfigJson(d)) || !file.flush()) {
      *error = path + ": cannot create the default risk limits file";
      return false;
    }
    if (created) *created = true;
    *out = std::move(d);
    return true;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseRiskConfig(text.str(), path, out, error);
}

bool applyRiskOverride(RiskConfig* config, const std::string& assignment, std::string* error) {
  const auto eq = assignment.find('=');
  auto fail = [&](const std::string& why) {
    *error = "--risk " + assignment + ": " + why;
    return false;
  };
  if (eq == std::string::npos || eq == 0) return fail("expected NAME=VALUE");
  const std::string name = assignment.substr(0, eq);
  const std::string valueText = assignment.substr(eq + 1);
  // The value as JSON when it is one (numbers, true/false, objects), else as a string ("off").
  Json value;
  try {
    value = Json::parse(valueText);
  } catch (const Json::out_of_range&) {  // 1e400: a number, but none a double can hold
    return fail(valueText + " " + kOutOfRange);
  } catch (const Json::exception&) {
    value = valueText;
  }
  std::vector<std::string> parts;
  for (std::size_t from = 0;;) {
    const auto slash = name.find('/', from);
    parts.push_back(name.substr(from, slash - from));
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  std::string why;
  auto setLimit = [&](LimitSet& set, LimitScopeKind scope, const std::string& key) {
    const auto limit = limitByKey(key);
    const std::uint8_t bit = std::uint8_t(1 << int(scope));
    if (!limit) return fail("unknown limit \"" + key + "\" (known here: " + knownLimitKeys(bit) + ")");
    if (!(infoOf(*limit).scopes & bit))
      return fail(key + " cannot be set per " + scopeName(scope) + " (only: " + knownLimitKeys(bit) + ")");
    if (!readLimit(*limit, value, &set[std::size_t(*limit)], &why)) return fail(why);
    return true;
  };
  if (parts.size() == 1) return setLimit(config->account, LimitScopeKind::Account, parts[0]);
  if (parts[0] == "account" && parts.size() == 2) return setLimit(config->account, LimitScopeKind::Account, parts[1]);
  if ((parts[0] == "instruments" || parts[0] == "strategies" || parts[0] == "underlyings" || parts[0] == "venues") &&
      parts.size() == 3) {
    const LimitScopeKind scope = parts[0] == "instruments"  ? LimitScopeKind::Instrument
                                 : parts[0] == "strategies" ? LimitScopeKind::Strategy
                                 : parts[0] == "venues"     ? LimitScopeKind::Venue
                                                            : LimitScopeKind::Underlying;
    auto& list = parts[0] == "instruments"  ? config->instruments
                 : parts[0] == "strategies" ? config->strategies
                 : parts[0] == "venues"     ? config->venues
                                            : config->underlyings;
    // As risk.json does: an @kind must be one that exists (a typo would apply to nothing).
    if (scope == LimitScopeKind::Instrument && parts[1].rfind('@', 0) == 0 && parts[1] != "@perpetual" &&
        parts[1] != "@future" && parts[1] != "@option" && parts[1] != "@spot" && parts[1] != "@index")
      return fail("instruments/" + parts[1] + ": unknown kind (known: @perpetual, @future, @option, @spot)");
    // Set on a copy: a refused override leaves no empty entry behind.
    LimitSet set;
    for (const ScopedLimits& e : list)
      if (e.key == parts[1]) set = e.limits;
    if (!setLimit(set, scope, parts[2])) return false;
    RiskConfig::entry(list, parts[1]) = set;
    return true;
  }
  if (parts[0] == "triggers" && (parts.size() == 2 || parts.size() == 3)) {
    const auto t = triggerByKey(parts[1]);
    if (!t) return fail("unknown trigger \"" + parts[1] + "\"");
    Json v = value;
    if (parts.size() == 3) {
      if (parts[2] != "threshold" && parts[2] != "action") return fail("a trigger has a threshold and an action");
      v = Json::object({{parts[2], value}});
    }
    if (!readTrigger(*t, v, &config->triggers[std::size_t(*t)], &why)) return fail(why);
    return true;
  }
  return fail("unknown name (examples: max_open_orders, instruments/@option/max_position, "
              "venues/deribit/max_open_orders, strategies/*/max_submit_rate, underlyings/BTC/max_net_delta, "
              "triggers/daily_loss/action)");
}

std::string riskConfigJson(const RiskConfig& c) {
  std::ostringstream o;
  o << "// Kappa risk limits. Every key is documented in docs/risk.md; comments (//) are allowed.\n"
       "// A limit is a number, \"off\", or {\"value\": N, \"enabled\": false}. Override one for a run with\n"
       "// `kappa --risk NAME=VALUE`, e.g. --risk max_open_orders=20 --risk instruments/@option/max_position=100\n"
       "{\n  \"version\": 1,\n  \"account\": {\n";
  writeLimitSet(o, c.account, "    ", true);
  o << "  },\n";
  writeScoped(o, "instruments", c.instruments);
  o << ",\n";
  writeScoped(o, "strategies", c.strategies);
  o << ",\n";
  writeScoped(o, "underlyings", c.underlyings);
  o << ",\n";
  writeScoped(o, "venues", c.venues);
  o << ",\n  \"triggers\": {\n";
  for (std::size_t i = 0; i < kTriggerCount; ++i) {
    const Trigger t = Trigger(i);
    o << "    // " << describe(t) << " (" << unitOf(t) << ")\n";
    o << "    \"" << nameOf(t) << "\": {\"threshold\": " << numberText(c.triggers[i].threshold) << ", \"action\": \""
      << nameOf(c.triggers[i].action) << "\"}" << (i + 1 < kTriggerCount ? ",\n" : "\n");
  }
  o << "  }\n}\n";
  return o.str();
}

}  // namespace kappa
