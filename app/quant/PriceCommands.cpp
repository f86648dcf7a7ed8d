// kappa-quant price / iv.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <functional>
#include <memory>

#include "Commands.hpp"
#include "Csv.hpp"
#include "pricing/AmericanPricer.hpp"
#include "pricing/BlackScholes.hpp"
#include "pricing/ImpliedVol.hpp"

namespace kappa::quant {
namespace {
using namespace kappa::pricing;

const char* kPriceHelp =
    "usage: kappa-quant price --model bsm|black76|baw|bjs|fd FILE.csv\n"
    "\n"
    "Prices every row of FILE.csv ('-' for standard input). Input columns:\n"
    "  type,strike,spot,q,r,t_years,vol   (type call|put; t in years, used as given;\n"
    "                                      for black76 'spot' is the forward and q is ignored)\n"
    "Other columns are passed through. Output: the same rows with price,delta,gamma,vega,theta,rho\n"
    "appended (vega and rho per 1.00, theta per year). Models: bsm (generalized Black-Scholes-Merton,\n"
    "carry b = r - q), black76, and American: baw (Barone-Adesi-Whaley), bjs (Bjerksund-Stensland),\n"
    "fd (finite differences) through QuantLib, with Greeks by bump and revalue.\n"
    "A malformed row is reported on stderr with its line and field, written with empty results,\n"
    "and the others are still priced; the exit status is 1 if any row failed.\n";

const char* kIvHelp =
    "usage: kappa-quant iv --model bsm|black76 FILE.csv\n"
    "\n"
    "Implied volatility of every row of FILE.csv ('-' for standard input). Input columns:\n"
    "  type,strike,spot,q,r,t_years,price   (for black76 'spot' is the forward, price discounted at r)\n"
    "Output: the same rows with iv,status appended. status is ok, below_intrinsic, above_maximum,\n"
    "no_time_value or invalid_input (iv empty unless ok). Malformed rows as for 'price'.\n";

struct Args {
  std::string model, file;
  bool help = false;
};

bool parseArgs(const std::vector<std::string>& args, Args& a, std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") a.help = true;
    else if (args[i] == "--model" && i + 1 < args.size()) a.model = args[++i];
    else if (args[i].rfind("--model=", 0) == 0) a.model = args[i].substr(8);
    else if (!args[i].empty() && args[i][0] == '-' && args[i] != "-") { error = "unknown option " + args[i]; return false; }
    else if (a.file.empty()) a.file = args[i];
    else { error = "unexpected argument " + args[i]; return false; }
  }
  if (a.help) return true;
  if (a.model.empty()) { error = "--model is required"; return false; }
  if (a.file.empty()) { error = "FILE.csv is required"; return false; }
  return true;
}


std::string num(double v, int digits = 12) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

bool parseType(RowReader& r, bool& isCall, std::string& error) {
  std::string t = r.text("type");
  for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (!r.ok()) return false;
  if (t == "call" || t == "c") isCall = true;
  else if (t == "put" || t == "p") isCall = false;
  else {
    error = "field 'type': '" + t + "' must be call or put";
    return false;
  }
  return true;
}

// The columns every pricing row starts with.
struct OptionRow {
  bool isCall = true;
  double strike = 0, spot = 0, rate = 0, t = 0, q = 0;
};

// Reads type, strike, spot, r, t_years (and q unless `noQ`); fills `error` with the first problem.
OptionRow readOptionRow(RowReader& r, bool noQ, std::string& error) {
  OptionRow o;
  parseType(r, o.isCall, error);
  o.strike = r.number("strike");
  o.spot = r.number("spot");
  o.rate = r.number("r");
  o.t = r.number("t_years");
  o.q = noQ ? 0.0 : r.number("q");
  if (error.empty() && !r.ok()) error = r.error();
  return o;
}

// Writes the header plus `added` columns, then every row: its own fields plus what `compute`
// returns, or empty cells and a "FILE:LINE: reason" on stderr when it fails. Returns the exit status.
int processRows(const std::string& file, const CsvTable& table, const std::vector<std::string>& added,
                const std::function<std::vector<std::string>(RowReader&, std::string&)>& compute, std::ostream& out,
                std::ostream& err) {
  std::vector<std::string> header = table.header();
  header.insert(header.end(), added.begin(), added.end());
  out << joinCsvLine(header) << "\n";
  int failed = 0;
  for (const auto& row : table.rows()) {
    RowReader r(table, row);
    std::string rowError;
    const std::vector<std::string> results = compute(r, rowError);
    std::vector<std::string> fields = row.fields;
    fields.resize(table.header().size());
    if (!rowError.empty()) {
      ++failed;
      err << file << ":" << row.line << ": " << rowError << "\n";
      fields.resize(header.size());
    } else {
      fields.insert(fields.end(), results.begin(), results.end());
    }
    out << joinCsvLine(fields) << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace

int runPrice(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args a;
  std::string error;
  if (!parseArgs(argv, a, error)) {
    err << "kappa-quant price: " << error << "\n\n" << kPriceHelp;
    return 2;
  }
  if (a.help) {
    out << kPriceHelp;
    return 0;
  }
  const bool american = a.model == "baw" || a.model == "bjs" || a.model == "fd";
  if (a.model != "bsm" && a.model != "black76" && !american) {
    err << "kappa-quant price: unknown model '" << a.model << "' (bsm, black76, baw, bjs, fd)\n";
    return 2;
  }
  CsvTable table;
  if (!loadCsv(a.file, table, err)) return 2;
  auto compute = [&](RowReader& r, std::string& rowError) -> std::vector<std::string> {
    const OptionRow o = readOptionRow(r, a.model == "black76", rowError);
    const double vol = r.number("vol");
    if (rowError.empty() && !r.ok()) rowError = r.error();
    if (rowError.empty()) {
      if (!(o.strike > 0)) rowError = "field 'strike': must be positive";
      else if (!(o.spot > 0)) rowError = "field 'spot': must be positive";
      else if (!(o.t >= 0)) rowError = "field 't_years': must not be negative";
      else if (!(vol >= 0)) rowError = "field 'vol': must not be negative";
    }
    if (!rowError.empty()) return {};
    const CallPut type = o.isCall ? CallPut::Call : CallPut::Put;
    Greeks g;
    if (a.model == "bsm") {
      g = bsmGreeks(type, o.spot, o.strike, o.t, o.rate, o.q, vol);
    } else if (a.model == "black76") {
      g = black76Greeks(type, o.spot, o.strike, o.t, o.rate, vol);
    } else {
      const AmericanMethod m = a.model == "baw"   ? AmericanMethod::BaroneAdesiWhaley
                               : a.model == "bjs" ? AmericanMethod::BjerksundStensland
                                                  : AmericanMethod::FiniteDifference;
      const AmericanResult res = americanGreeks(m, type, o.spot, o.strike, o.t, o.rate, o.q, vol);
      if (!res.ok) {
        rowError = std::string("model ") + a.model + ": " + res.error;
        return {};
      }
      g = res.greeks;
    }
    // Finite inputs can still be beyond what the closed forms compute in doubles (vol >= 1e154
    // squares to infinity; t = 1e308): a row with any non-finite result fails with the reason,
    // as the American models' do, rather than printing nan or inf.
    const std::pair<const char*, double> results[] = {{"price", g.price}, {"delta", g.delta}, {"gamma", g.gamma},
                                                      {"vega", g.vega},   {"theta", g.theta}, {"rho", g.rho}};
    std::string notFinite;
    for (const auto& [name, v] : results)
      if (!std::isfinite(v)) notFinite += (notFinite.empty() ? "" : ", ") + std::string(name) + " " + num(v);
    if (!notFinite.empty()) {
      rowError = "model " + a.model + ": no finite result for these inputs (" + notFinite +
                 "): vol, t_years or the rates are beyond what the formula computes in double precision";
      return {};
    }
    return {num(g.price), num(g.delta), num(g.gamma), num(g.vega), num(g.theta), num(g.rho)};
  };
  return processRows(a.file, table, {"price", "delta", "gamma", "vega", "theta", "rho"}, compute, out, err);
}

int runIv(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args a;
  std::string error;
  if (!parseArgs(argv, a, error)) {
    err << "kappa-quant iv: " << error << "\n\n" << kIvHelp;
    return 2;
  }
  if (a.help) {
    out << kIvHelp;
    return 0;
  }
  if (a.model != "bsm" && a.model != "black76") {
    err << "kappa-quant iv: unknown model '" << a.model << "' (bsm, black76)\n";
    return 2;
  }
  CsvTable table;
  if (!loadCsv(a.file, table, err)) return 2;
  auto compute = [&](RowReader& r, std::string& rowError) -> std::vector<std::string> {
    const OptionRow o = readOptionRow(r, a.model == "black76", rowError);
    const double price = r.number("price");
    if (rowError.empty() && !r.ok()) rowError = r.error();
    if (!rowError.empty()) return {};
    const ImpliedVol iv = a.model == "bsm" ? impliedVolBsm(o.isCall, o.spot, o.strike, o.t, o.rate, o.q, price)
                                           : impliedVolBlack76(o.isCall, o.spot, o.strike, o.t, o.rate, price);
    return {iv.ok() ? num(iv.vol, 17) : std::string(), nameOf(iv.status)};
  };
  return processRows(a.file, table, {"iv", "status"}, compute, out, err);
}

}  // namespace kappa::quant
