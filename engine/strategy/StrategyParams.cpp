#include "strategy/StrategyParams.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <sstream>

namespace kappa {
namespace {
std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}
std::string number(double v) {
  std::ostringstream o;
  o.precision(15);
  o << v;
  return o.str();
}
}  // namespace

const char* paramTypeName(std::int32_t type) {
  switch (type) {
    case KAPPA_PARAM_DOUBLE: return "number";
    case KAPPA_PARAM_INT: return "integer";
    case KAPPA_PARAM_BOOL: return "boolean";
    case KAPPA_PARAM_STRING: return "text";
  }
  return "?";
}

ParamValue defaultParamValue(const ParamSpec& spec) {
  ParamValue v;
  v.number = spec.type == KAPPA_PARAM_BOOL ? (spec.defaultValue != 0 ? 1.0 : 0.0) : spec.defaultValue;
  v.text = spec.defaultString;
  return v;
}

bool parseParamValue(const ParamSpec& spec, const std::string& raw, ParamValue* out, std::string* error) {
  const std::string text = trim(raw);
  auto fail = [&](const std::string& why) {
    if (error) *error = "parameter '" + spec.name + "': '" + raw + "' " + why;
    return false;
  };
  ParamValue v;
  switch (spec.type) {
    case KAPPA_PARAM_STRING:
      v.text = raw;
      *out = v;
      return true;
    case KAPPA_PARAM_BOOL: {
      const std::string t = lower(text);
      if (t == "true" || t == "1" || t == "yes" || t == "on") v.number = 1;
      else if (t == "false" || t == "0" || t == "no" || t == "off") v.number = 0;
      else return fail("is not a boolean (true/false)");
      *out = v;
      return true;
    }
    case KAPPA_PARAM_INT: {
      long long n = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fail("is not an integer");
      v.number = double(n);
      break;
    }
    case KAPPA_PARAM_DOUBLE: {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
        // A number all the same: below the smallest normal double (1e-308) it is that tiny
        // number, as strtod reads it; beyond the largest (1e400) it is refused as such.
        d = std::strtod(std::string(text).c_str(), nullptr);
        if (std::isinf(d)) return fail("is out of range (a number must lie within about +-1.8e308)");
        ec = std::errc();
      }
      if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d))
        return fail("is not a number");
      v.number = d;
      break;
    }
    default: return fail("has an unknown type");
  }
  if (spec.bounded() && (v.number < spec.minValue || v.number > spec.maxValue))
    return fail("is outside [" + number(spec.minValue) + ", " + number(spec.maxValue) + "]");
  *out = v;
  return true;
}

std::string formatParamValue(const ParamSpec& spec, const ParamValue& value) {
  switch (spec.type) {
    case KAPPA_PARAM_STRING: return value.text;
    case KAPPA_PARAM_BOOL: return value.number != 0 ? "true" : "false";
    case KAPPA_PARAM_INT: return std::to_string(std::llround(value.number));
    default: return number(value.number);
  }
}

bool parseParamAssignments(const std::string& text, ParamAssignments* out, std::string* error) {
  out->clear();
  if (trim(text).empty()) return true;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || trim(item.substr(0, eq)).empty()) {
      if (error) *error = "'" + item + "' is not name=value";
      return false;
    }
    out->emplace_back(trim(item.substr(0, eq)), item.substr(eq + 1));
    start = comma + 1;
  }
  return true;
}

bool resolveParams(const StrategyInfo& info, const ParamAssignments& assignments, std::vector<ParamValue>* out,
                   std::string* error) {
  out->clear();
  for (const ParamSpec& p : info.params) out->push_back(defaultParamValue(p));
  for (const auto& [name, value] : assignments) {
    const auto it = std::find_if(info.params.begin(), info.params.end(), [&](const ParamSpec& p) { return p.name == name; });
    if (it == info.params.end()) {
      std::string known;
      for (const ParamSpec& p : info.params) known += (known.empty() ? "" : ", ") + p.name;
      if (error) *error = "strategy " + info.id + " has no parameter '" + name + "' (it has: " + known + ")";
      return false;
    }
    if (!parseParamValue(*it, value, &(*out)[std::size_t(it - info.params.begin())], error)) return false;
  }
  return true;
}

}  // namespace kappa
