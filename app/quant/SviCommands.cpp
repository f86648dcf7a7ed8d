// kappa-quant svi-fit / svi-check: JSON out, so scripts and tests can read the findings.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <memory>
#include <sstream>

#include "Commands.hpp"
#include "Csv.hpp"
#include "vol/Arbitrage.hpp"
#include "vol/SviFit.hpp"

namespace kappa::quant {
namespace {
using namespace kappa::vol;

const char* kFitHelp =
    "usage: kappa-quant svi-fit [--percent] FILE.csv\n"
    "\n"
    "Fits raw SVI, w(k) = a + b(rho(k - m) + sqrt((k - m)^2 + sigma^2)) in total variance with\n"
    "k = ln(strike/forward), to each expiry of FILE.csv ('-' for standard input). Columns:\n"
    "  t_years,strike,forward,bid_iv,ask_iv   (one or more expiries; implied vols as fractions,\n"
    "                                          0.55 = 55 %, or in percent with --percent; an empty\n"
    "                                          or 0 side is missing)\n"
    "Weights favour tight bid/ask spreads. Prints JSON: per expiry a, b, rho, m, sigma, rmse (vol\n"
    "units), status and the butterfly-arbitrage findings (Durrleman's g < 0, with k ranges), then the\n"
    "calendar-arbitrage findings between consecutive expiries (total variance decreasing in t).\n"
    "Malformed rows are reported on stderr with line and field; exit status 1 if any.\n";

const char* kCheckHelp =
    "usage: kappa-quant svi-check --a A --b B --rho R --m M --sigma S --t T [--kmin K] [--kmax K]\n"
    "\n"
    "Checks one raw-SVI slice (total-variance parameters, expiry T in years) for butterfly arbitrage\n"
    "on k in [kmin, kmax] (default -1.5..1.5, within -10..10). Prints JSON with butterfly_arbitrage (true/false),\n"
    "g_min, k_at_g_min, the k ranges where g < 0, and the implied vol at the money.\n";

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string ranges(const std::vector<KRange>& rs) {
  std::string s = "[";
  for (std::size_t i = 0; i < rs.size(); ++i) s += (i ? ", [" : "[") + num(rs[i].kFrom) + ", " + num(rs[i].kTo) + "]";
  return s + "]";
}

// JSON spells statuses like the iv command does: lower snake case.
std::string statusName(SviFitStatus s) {
  switch (s) {
    case SviFitStatus::Ok: return "ok";
    case SviFitStatus::TooFewQuotes: return "too_few_quotes";
    case SviFitStatus::NotConverged: return "not_converged";
    case SviFitStatus::BadInput: return "bad_input";
  }
  return "unknown";
}

std::string butterflyJson(const ButterflyReport& b) {
  return "\"butterfly_arbitrage\": " + std::string(b.arbitrage ? "true" : "false") + ", \"g_min\": " + num(b.gMin) +
         ", \"k_at_g_min\": " + num(b.kAtGMin) + ", \"butterfly_ranges\": " + ranges(b.ranges);
}
}  // namespace

int runSviFit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string file;
  bool percent = false;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out << kFitHelp;
      return 0;
    }
    if (a == "--percent") percent = true;
    else if (!a.empty() && a[0] == '-' && a != "-") {
      err << "kappa-quant svi-fit: unknown option " << a << "\n\n" << kFitHelp;
      return 2;
    } else if (file.empty()) file = a;
    else {
      err << "kappa-quant svi-fit: unexpected argument " << a << "\n";
      return 2;
    }
  }
  if (file.empty()) {
    err << "kappa-quant svi-fit: FILE.csv is required\n\n" << kFitHelp;
    return 2;
  }
  CsvTable table;
  if (!loadCsv(file, table, err)) return 2;
  std::map<double, std::vector<SviQuote>> byExpiry;
  std::map<double, double> forwardOf;
  int failed = 0;
  const double scale = percent ? 0.01 : 1.0;
  for (const auto& row : table.rows()) {
    RowReader r(table, row);
    const double t = r.number("t_years"), k = r.number("strike"), fwd = r.number("forward");
    // A missing side may be empty: read it as text first.
    auto side = [&](const char* col) {
      const std::string v = r.text(col);
      return v.empty() ? 0.0 : r.number(col);
    };
    const double bid = side("bid_iv"), ask = side("ask_iv");
    std::string error = r.ok() ? "" : r.error();
    if (error.empty()) {
      if (!(t > 0)) error = "field 't_years': must be positive";
      else if (!(k > 0)) error = "field 'strike': must be positive";
      else if (!(fwd > 0)) error = "field 'forward': must be positive";
      else if (bid < 0) error = "field 'bid_iv': must not be negative";
      else if (ask < 0) error = "field 'ask_iv': must not be negative";
      else if (bid > 0 && ask > 0 && bid > ask) error = "field 'bid_iv': above ask_iv";
    }
    if (!error.empty()) {
      ++failed;
      err << file << ":" << row.line << ": " << error << "\n";
      continue;
    }
    byExpiry[t].push_back(SviQuote{std::log(k / fwd), bid * scale, ask * scale, 0});
    forwardOf[t] = fwd;
  }
  SviFitter fitter;
  std::vector<SviSlice> fitted;
  std::ostringstream json;
  json << "{\n  \"expiries\": [";
  bool first = true;
  for (const auto& [t, quotes] : byExpiry) {
    const SviFitResult fit = fitter.fit(t, quotes);
    json << (first ? "\n" : ",\n") << "    {\"t_years\": " << num(t) << ", \"forward\": " << num(forwardOf[t])
         << ", \"quotes\": " << quotes.size() << ", \"quotes_used\": " << fit.quotesUsed << ", \"status\": \""
         << statusName(fit.status) << "\"";
    first = false;
    const SviParams& p = fit.params;
    const bool finite = std::isfinite(p.a) && std::isfinite(p.b) && std::isfinite(p.rho) && std::isfinite(p.m) &&
                        std::isfinite(p.sigma);
    if ((fit.status == SviFitStatus::Ok || fit.status == SviFitStatus::NotConverged) && !finite) {
      // Quotes beyond what the fit computes in doubles (t = 1e-300): no slice to check or print.
      ++failed;
      err << file << ": expiry t_years " << num(t) << ": the fit has no finite parameters for these quotes\n";
    } else if (fit.status == SviFitStatus::Ok || fit.status == SviFitStatus::NotConverged) {
      json << ", \"a\": " << num(p.a) << ", \"b\": " << num(p.b) << ", \"rho\": " << num(p.rho) << ", \"m\": " << num(p.m)
           << ", \"sigma\": " << num(p.sigma) << ", \"rmse\": " << num(fit.rmse) << ", \"max_error\": " << num(fit.maxError)
           << ", " << butterflyJson(checkButterfly(p));
      fitted.push_back({t, p});
    }
    json << "}";
  }
  json << "\n  ],\n  \"calendar_arbitrage\": ";
  const CalendarReport cal = checkCalendar(fitted);
  json << (cal.arbitrage ? "true" : "false") << ",\n  \"calendar_violations\": [";
  for (std::size_t i = 0; i < cal.violations.size(); ++i) {
    const CalendarViolation& v = cal.violations[i];
    json << (i ? ", " : "") << "{\"t_earlier\": " << num(fitted[v.earlier].t) << ", \"t_later\": " << num(fitted[v.later].t)
         << ", \"worst_gap\": " << num(v.worstGap) << ", \"k_at_worst\": " << num(v.kAtWorst)
         << ", \"ranges\": " << ranges(v.ranges) << "}";
  }
  json << "]\n}\n";
  out << json.str();
  return failed ? 1 : 0;
}

int runSviCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::map<std::string, double> v = {{"kmin", -1.5}, {"kmax", 1.5}};
  std::set<std::string> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      out << kCheckHelp;
      return 0;
    }
    if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) {
      err << "kappa-quant svi-check: bad argument " << args[i] << "\n\n" << kCheckHelp;
      return 2;
    }
    const std::string name = args[i].substr(2);
    static const std::set<std::string> known = {"a", "b", "rho", "m", "sigma", "t", "kmin", "kmax"};
    if (!known.count(name)) {
      err << "kappa-quant svi-check: unknown option " << args[i] << "\n\n" << kCheckHelp;
      return 2;
    }
    if (!given.insert(name).second) {
      err << "kappa-quant svi-check: " << args[i] << " is given twice\n";
      return 2;
    }
    double d = 0;
    std::string why;
    if (!parseNumber(args[i + 1], &d, &why)) {
      err << "kappa-quant svi-check: --" << name << ": '" << args[i + 1] << "' " << why << "\n";
      return 2;
    }
    v[name] = d;
    ++i;
  }
  for (const char* required : {"a", "b", "rho", "m", "sigma", "t"}) {
    if (!v.count(required)) {
      err << "kappa-quant svi-check: --" << required << " is required\n\n" << kCheckHelp;
      return 2;
    }
  }
  // k = ln(K/F): beyond +-10 the strike is 22,026 times the forward (or that fraction of it) and
  // the scan's grid of 601 points over a wider range samples nothing (at +-1e308 nothing finite).
  for (const char* bound : {"kmin", "kmax"})
    if (std::abs(v[bound]) > 10) {
      err << "kappa-quant svi-check: --" << bound << " must lie within [-10, 10] (k = ln(strike/forward)), got "
          << num(v[bound]) << "\n";
      return 2;
    }
  const SviParams p{v["a"], v["b"], v["rho"], v["m"], v["sigma"]};
  if (p.b < 0 || std::abs(p.rho) >= 1 || p.sigma <= 0 || v["t"] <= 0 || v["kmin"] >= v["kmax"]) {
    err << "kappa-quant svi-check: need b >= 0, |rho| < 1, sigma > 0, t > 0 and kmin < kmax\n";
    return 2;
  }
  ArbitrageScanOptions o;
  o.kMin = v["kmin"];
  o.kMax = v["kmax"];
  const ButterflyReport b = checkButterfly(p, o);
  const double wAtm = sviTotalVariance(p, 0.0);
  const double atmVol = wAtm > 0 ? std::sqrt(wAtm / v["t"]) : NAN;
  // Finite parameters can still overflow the slice's formulas (a = b = 1e308): then there is no
  // answer, and "butterfly_arbitrage": false with nulls would read as one.
  if (!std::isfinite(b.gMin) || !std::isfinite(sviMinTotalVariance(p)) || !std::isfinite(wAtm)) {
    err << "kappa-quant svi-check: no finite result for these parameters (g_min " << num(b.gMin)
        << ", min total variance " << num(sviMinTotalVariance(p)) << "): they are beyond what the formulas compute in "
           "double precision\n";
    return 1;
  }
  out << "{" << butterflyJson(b) << ", \"min_total_variance\": " << num(sviMinTotalVariance(p))
      << ", \"atm_vol\": " << num(atmVol) << "}\n";
  return 0;
}

}  // namespace kappa::quant
