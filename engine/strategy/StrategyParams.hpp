#pragma once
// Parameter values of a strategy instance, validated against the schema its plugin declared.
// Used by the command line (--plugin PATH:name=value,...), the strategy manager's editors and
// the host's param_* services; every refusal names the parameter, the value and the rule.
#include <string>
#include <utility>
#include <vector>

#include "strategy/PluginModule.hpp"

namespace kappa {

struct ParamValue {
  double number = 0;  // double, int, bool (0/1)
  std::string text;   // string
};

ParamValue defaultParamValue(const ParamSpec& spec);
// Parses `text` for `spec`: a finite number within [min, max] for double, an integer for int,
// true/false/1/0/yes/no/on/off for bool, anything for string.
bool parseParamValue(const ParamSpec& spec, const std::string& text, ParamValue* out, std::string* error);
std::string formatParamValue(const ParamSpec& spec, const ParamValue& value);
const char* paramTypeName(std::int32_t type);

using ParamAssignments = std::vector<std::pair<std::string, std::string>>;
// "name=value,name=value" (a value may not contain ','); empty text is an empty list.
bool parseParamAssignments(const std::string& text, ParamAssignments* out, std::string* error);

// Defaults overridden by `assignments`; false with the first unknown name or bad value.
bool resolveParams(const StrategyInfo& info, const ParamAssignments& assignments, std::vector<ParamValue>* out,
                   std::string* error);

}  // namespace kappa
