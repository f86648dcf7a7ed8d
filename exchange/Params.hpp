#pragma once
// Typed access to a request's params. Deribit's HTTP GET form sends every value as text
// ("amount=10", "post_only=true"), JSON-RPC sends typed values: both are accepted. A missing or
// mistyped value throws Deribit's Invalid params error naming the parameter.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "RpcError.hpp"

namespace kappa::exchange {

class Params {
 public:
  explicit Params(const nlohmann::json& p) : p_(p.is_object() ? p : empty()) {}
  bool has(const char* k) const { return p_.contains(k) && !p_[k].is_null(); }
  const nlohmann::json& raw() const { return p_; }

  std::string str(const char* k) const {
    if (!has(k)) throw RpcError(deribit::kInvalidParams, {{"param", k}, {"reason", "missing"}});
    return optStr(k).value();
  }
  std::optional<std::string> optStr(const char* k) const {
    if (!has(k)) return std::nullopt;
    const auto& v = p_[k];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    if (v.is_number()) return v.dump();
    throw invalidParam(k, "must be a string");
  }
  std::string strOr(const char* k, const std::string& dflt) const { return optStr(k).value_or(dflt); }

  double num(const char* k) const {
    if (!has(k)) throw RpcError(deribit::kInvalidParams, {{"param", k}, {"reason", "missing"}});
    return optNum(k).value();
  }
  std::optional<double> optNum(const char* k) const {
    if (!has(k)) return std::nullopt;
    const auto& v = p_[k];
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      try {
        std::size_t used = 0;
        const double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (...) {
      }
    }
    throw invalidParam(k, "must be a number");
  }
  double numOr(const char* k, double dflt) const { return optNum(k).value_or(dflt); }

  bool flag(const char* k, bool dflt = false) const {
    if (!has(k)) return dflt;
    const auto& v = p_[k];
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string()) {
      if (v == "true") return true;
      if (v == "false") return false;
    }
    throw invalidParam(k, "must be true or false");
  }

 private:
  static const nlohmann::json& empty() {
    static const nlohmann::json e = nlohmann::json::object();
    return e;
  }
  const nlohmann::json& p_;
};

}  // namespace kappa::exchange
