// kappa-quant end to end: the published values through `price`, a round trip through `iv`, SVI on
// the real SPX chain through `svi-fit`, arbitrage through `svi-check`, and malformed input.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "CsvTestUtil.hpp"
#include "TestPaths.hpp"

namespace {
struct Run {
  int code = -1;
  QByteArray out, err;
};
Run quant(const QStringList& args) {
  QProcess p;
  p.start(kappa::test::quantBinary(), args);
  Run r;
  if (!p.waitForFinished(60000)) {
    p.kill();
    return r;
  }
  r.code = p.exitCode();
  r.out = p.readAllStandardOutput();
  r.err = p.readAllStandardError();
  return r;
}
QString write(QTemporaryDir& dir, const QString& name, const QByteArray& text) {
  const QString path = dir.filePath(name);
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(text);
  return path;
}
std::vector<QHash<QString, QString>> parseCsv(const QByteArray& text, QTemporaryDir& dir) {
  return kappa::test::readCsv(write(dir, "out.csv", text));
}
}  // namespace

class TestQuantCli : public QObject {
  Q_OBJECT
 private slots:
  void priceReproducesHaugTable() {
    QTemporaryDir dir;
    const Run r = quant({"price", "--model", "bsm", kappa::test::testDataDir() + "/haug_european_bsm_values.csv"});
    QCOMPARE(r.code, 0);
    const auto rows = parseCsv(r.out, dir);
    QCOMPARE(rows.size(), std::size_t(43));
    for (const auto& row : rows) {
      QVERIFY(row.contains("source"));  // extra columns pass through
      QVERIFY2(std::abs(row["price"].toDouble() - row["expected"].toDouble()) <= row["tolerance"].toDouble(),
               qPrintable(row["type"] + " " + row["strike"] + ": " + row["price"]));
    }
  }

  void americanModelsPriceAboveEuropean() {
    QTemporaryDir dir;
    const QString in = write(dir, "am.csv", "type,strike,spot,q,r,t_years,vol\nput,110,100,0,0.06,0.75,0.3\ncall,100,100,0.04,0.02,1,0.25\n");
    const Run euro = quant({"price", "--model", "bsm", in});
    QCOMPARE(euro.code, 0);
    const auto e = parseCsv(euro.out, dir);
    for (const char* model : {"baw", "bjs", "fd"}) {
      const Run r = quant({"price", "--model", model, in});
      QCOMPARE(r.code, 0);
      const auto a = parseCsv(r.out, dir);
      QCOMPARE(a.size(), std::size_t(2));
      for (std::size_t i = 0; i < 2; ++i) {
        QVERIFY2(a[i]["price"].toDouble() >= e[i]["price"].toDouble() - 1e-9, model);
        QVERIFY(a[i]["price"].toDouble() - e[i]["price"].toDouble() < 2.0);  // early exercise: a premium, not a different option
        QVERIFY(!a[i]["vega"].isEmpty() && a[i]["vega"].toDouble() > 0);
      }
    }
  }

  void ivRoundTripAndStatuses() {
    QTemporaryDir dir;
    const Run priced = quant({"price", "--model", "black76", kappa::test::testDataDir() + "/haug_european_bsm_values.csv"});
    const auto rows = parseCsv(priced.out, dir);
    QByteArray csv = "type,strike,spot,q,r,t_years,price,vol\n";
    for (const auto& row : rows)
      csv += QString("%1,%2,%3,0,%4,%5,%6,%7\n").arg(row["type"], row["strike"], row["spot"], row["r"], row["t_years"], row["price"], row["vol"]).toUtf8();
    csv += "call,100,100,0,0,1,150,\n";  // above the forward: no volatility
    csv += "put,100,100,0,0,1,-1,\n";    // negative price: below intrinsic
    const Run r = quant({"iv", "--model", "black76", write(dir, "iv.csv", csv)});
    QCOMPARE(r.code, 0);
    const auto out = parseCsv(r.out, dir);
    QCOMPARE(out.size(), rows.size() + 2);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      QCOMPARE(out[i]["status"], QString("ok"));
      QVERIFY2(std::abs(out[i]["iv"].toDouble() - out[i]["vol"].toDouble()) < 1e-9, qPrintable(out[i]["iv"]));
    }
    QCOMPARE(out[rows.size()]["status"], QString("above_maximum"));
    QCOMPARE(out[rows.size() + 1]["status"], QString("below_intrinsic"));
    QVERIFY(out[rows.size()]["iv"].isEmpty());
  }

  void malformedRowsNameLineAndField() {
    QTemporaryDir dir;
    const QString in = write(dir, "bad.csv",
                             "type,strike,spot,q,r,t_years,vol\n"
                             "call,100,100,0,0.05,1,0.2\n"
                             "call,100,abc,0,0.05,1,0.2\n"
                             "straddle,100,100,0,0.05,1,0.2\n"
                             "put,-5,100,0,0.05,1,0.2\n"
                             "put,100,100,0,0.05,1,0.2\n");
    const Run r = quant({"price", "--model", "bsm", in});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("bad.csv:3: field 'spot': 'abc' is not a number"));
    QVERIFY(r.err.contains("bad.csv:4: field 'type': 'straddle' must be call or put"));
    QVERIFY(r.err.contains("bad.csv:5: field 'strike': must be positive"));
    const auto out = parseCsv(r.out, dir);
    QCOMPARE(out.size(), std::size_t(5));  // every row still written, in order
    QVERIFY(!out[0]["price"].isEmpty());
    QVERIFY(out[1]["price"].isEmpty());
    QVERIFY(!out[4]["price"].isEmpty());
    // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first column's name.
    const Run bom = quant({"price", "--model", "bsm", write(dir, "bom.csv", "\xEF\xBB\xBFtype,strike,spot,q,r,t_years,vol\ncall,100,100,0,0.05,1,0.2\n")});
    QCOMPARE(bom.code, 0);
    QCOMPARE(quant({"price", "--model", "heston", in}).code, 2);
    QCOMPARE(quant({"price", "--model", "bsm", dir.filePath("missing.csv")}).code, 2);
    QCOMPARE(quant({"frobnicate"}).code, 2);
  }

  void extremeButFiniteInputsAreErrorsNotNan() {
    // vol >= 1e154 squares to infinity, t = 1e308 overflows what the closed forms compute: bsm and
    // black76 printed nan/inf with status 0 where baw and fd report an error. Now every model
    // reports the row.
    QTemporaryDir dir;
    const QString in = write(dir, "extreme.csv",
                             "type,strike,spot,q,r,t_years,vol\n"
                             "call,100,100,0,0.05,1,1e154\n"
                             "put,100,100,0,0.05,1e308,0.2\n"
                             "call,100,100,0,0.05,1,1e200\n"
                             "call,100,100,0,0.05,1,0.2\n");
    for (const char* model : {"bsm", "black76"}) {
      const Run r = quant({"price", "--model", model, in});
      QCOMPARE(r.code, 1);
      QVERIFY2(!r.out.contains("nan") && !r.out.contains("inf"), r.out.constData());
      // (Black-76 with t = 1e308 discounts to exactly 0, finite and the right limit: not an error.)
      for (int line : std::string(model) == "bsm" ? std::vector<int>{2, 3, 4} : std::vector<int>{2, 4})
        QVERIFY2(r.err.contains(QString("extreme.csv:%1: model %2: no finite result").arg(line).arg(model).toUtf8()),
                 r.err.constData());
      QVERIFY2(!r.err.contains("extreme.csv:5:"), r.err.constData());
      const auto out = parseCsv(r.out, dir);
      QCOMPARE(out.size(), std::size_t(4));
      QVERIFY(out[0]["price"].isEmpty());
      QVERIFY(!out[3]["price"].isEmpty());
    }
  }

  void numbersAreReadAsNumbers() {
    QTemporaryDir dir;
    // 1e-308 is below the smallest normal double: still a number (strtod's ERANGE is an underflow).
    const Run tiny = quant({"price", "--model", "bsm",
                            write(dir, "tiny.csv", "type,strike,spot,q,r,t_years,vol\ncall,100,100,1e-308,4.9e-324,1,0.2\n")});
    QCOMPARE(tiny.code, 0);
    QVERIFY2(tiny.err.isEmpty(), tiny.err.constData());
    // Beyond a double: out of range, said so; nan and inf: not finite.
    const Run big = quant({"price", "--model", "bsm",
                           write(dir, "big.csv", "type,strike,spot,q,r,t_years,vol\ncall,1e400,100,0,0,1,0.2\n"
                                                 "call,100,nan,0,0,1,0.2\ncall,100,100,0,0,-inf,0.2\n")});
    QCOMPARE(big.code, 1);
    QVERIFY2(big.err.contains("big.csv:2: field 'strike': '1e400' is out of range"), big.err.constData());
    QVERIFY2(big.err.contains("big.csv:3: field 'spot': 'nan' is not a finite number"), big.err.constData());
    QVERIFY2(big.err.contains("big.csv:4: field 't_years': '-inf' is not a finite number"), big.err.constData());
    const Run check = quant({"svi-check", "--a", "1e-308", "--b", "0.1", "--rho", "-0.3", "--m", "0", "--sigma", "0.2", "--t", "1"});
    QCOMPARE(check.code, 0);
    QCOMPARE(quant({"svi-check", "--a", "1e400", "--b", "0.1", "--rho", "-0.3", "--m", "0", "--sigma", "0.2", "--t", "1"}).code, 2);
  }

  void sviFitWithoutAFiniteFitSaysSo() {
    // t = 1e-300: the fitter's parameters come out NaN; they were printed as null with a
    // butterfly "arbitrage" over the whole range, status 0.
    QTemporaryDir dir;
    QByteArray csv = "t_years,strike,forward,bid_iv,ask_iv\n";
    for (int k = 1; k <= 6; ++k) csv += "1e-300," + QByteArray::number(k) + ",1,0.5,0.6\n";
    const Run r = quant({"svi-fit", write(dir, "tiny.csv", csv)});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("tiny.csv: expiry t_years 1e-300: the fit has no finite parameters"), r.err.constData());
    QVERIFY2(!r.out.contains("null") && !r.out.contains("butterfly"), r.out.constData());
  }

  void badFilesAreNamedForWhatTheyAre() {
    QTemporaryDir dir;
    // A directory opens and reads as nothing: it was "the file is empty".
    QVERIFY(QDir(dir.path()).mkpath("chain.csv"));
    Run r = quant({"price", "--model", "bsm", dir.filePath("chain.csv")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("chain.csv: is a directory, not a CSV file"), r.err.constData());
    QVERIFY(!r.err.contains("empty"));
    // Two columns of one name: which one a row means cannot be known.
    r = quant({"price", "--model", "bsm",
               write(dir, "dup.csv", "type,strike,spot,q,r,t_years,vol,strike\ncall,100,100,0,0.05,1,0.2,120\n")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("dup.csv: line 1: column 'strike' appears twice in the header (columns 2 and 8)"),
             r.err.constData());
    QVERIFY(r.out.isEmpty());
    r = quant({"svi-fit", write(dir, "dup2.csv", "t_years,strike,forward,bid_iv,ask_iv, bid_iv\n")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("column 'bid_iv' appears twice"), r.err.constData());
    // Unnamed columns (a trailing comma) are only passed through: they may repeat.
    r = quant({"price", "--model", "bsm", write(dir, "trailing.csv", "type,strike,spot,q,r,t_years,vol,,\ncall,100,100,0,0.05,1,0.2,,\n")});
    QCOMPARE(r.code, 0);
  }

  void sviCheckRefusesWhatItDoesNotKnow() {
    const QStringList slice = {"--a", "0.04", "--b", "0.1", "--rho", "-0.3", "--m", "0", "--sigma", "0.2", "--t", "1"};
    // An unknown option (a typo) was silently accepted: the check ran without it.
    Run r = quant(QStringList{"svi-check"} + slice + QStringList{"--kmaz", "3"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("unknown option --kmaz"), r.err.constData());
    r = quant(QStringList{"svi-check"} + slice + QStringList{"--t", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--t is given twice"), r.err.constData());
    // k ranges beyond any strike (|k| = 1e308: no finite grid) are refused, not scanned into nan.
    for (const QStringList& range : {QStringList{"--kmin", "-1e308", "--kmax", "1e308"}, QStringList{"--kmax", "-inf"},
                                     QStringList{"--kmin", "-1e6"}}) {
      r = quant(QStringList{"svi-check"} + slice + range);
      QVERIFY2(r.code == 2, qPrintable(range.join(' ')));
      QVERIFY2(r.err.contains(range[0].toUtf8()), r.err.constData());
      QVERIFY(r.out.isEmpty());
    }
    r = quant(QStringList{"svi-check"} + slice + QStringList{"--kmin", "-5", "--kmax", "5"});
    QCOMPARE(r.code, 0);
    QVERIFY2(!r.out.contains("null"), r.out.constData());
    // Finite parameters beyond what the formulas compute: an error, not "no arbitrage" with nulls.
    r = quant({"svi-check", "--a", "1e308", "--b", "1e308", "--rho", "0", "--m", "0", "--sigma", "1e308", "--t", "1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("no finite result for these parameters"), r.err.constData());
    QVERIFY(r.out.isEmpty());
  }

  void helpForEveryCommand() {
    for (const char* cmd : {"price", "iv", "svi-fit", "svi-check"}) {
      const Run r = quant({cmd, "--help"});
      QCOMPARE(r.code, 0);
      QVERIFY2(r.out.startsWith("usage: kappa-quant"), cmd);
    }
    QCOMPARE(quant({"--help"}).code, 0);
  }

  void sviCheckFindsButterflyArbitrage() {
    // Axel Vogt's slice: Durrleman's g < 0 around k = 0.6..1.3.
    Run r = quant({"svi-check", "--a", "-0.0410", "--b", "0.1331", "--rho", "0.3060", "--m", "0.3586", "--sigma", "0.4153", "--t", "1"});
    QCOMPARE(r.code, 0);
    QJsonObject j = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(j["butterfly_arbitrage"].toBool(), true);
    QVERIFY(j["g_min"].toDouble() < 0);
    const QJsonArray range = j["butterfly_ranges"].toArray().at(0).toArray();
    QVERIFY(range.at(0).toDouble() > 0.5 && range.at(0).toDouble() < 0.8);
    QVERIFY(range.at(1).toDouble() > 1.1 && range.at(1).toDouble() < 1.4);
    QVERIFY(j["k_at_g_min"].toDouble() > range.at(0).toDouble() && j["k_at_g_min"].toDouble() < range.at(1).toDouble());
    r = quant({"svi-check", "--a", "0.04", "--b", "0.1", "--rho", "-0.3", "--m", "0", "--sigma", "0.2", "--t", "1"});
    j = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(j["butterfly_arbitrage"].toBool(), false);
    QVERIFY(j["butterfly_ranges"].toArray().isEmpty());
    QCOMPARE(quant({"svi-check", "--a", "0.04", "--b", "-1", "--rho", "0", "--m", "0", "--sigma", "0.2", "--t", "1"}).code, 2);
  }

  void sviFitOnRealSpxChain() {
    // The SPX chain of 2011-01-24 (pyql): bid/ask implied vols per expiry, forward per expiry.
    const auto spx = kappa::test::readCsv(kappa::test::refdataDir() + "/option_chains/pyql_df_options_SPX_24jan2011.csv");
    if (spx.empty()) QSKIP("shared reference data not found (../shared/refdata)");
    QByteArray csv = "t_years,strike,forward,bid_iv,ask_iv\n";
    int rows = 0;
    for (const auto& q : spx) {
      // Out-of-the-money side only: that is where the market's information is.
      const bool call = q["Type"] == "C";
      if ((call && q["Strike"].toDouble() < q["Fwd"].toDouble()) || (!call && q["Strike"].toDouble() > q["Fwd"].toDouble())) continue;
      csv += QString("%1,%2,%3,%4,%5\n").arg(q["TTM"], q["Strike"], q["Fwd"], q["IVBid"], q["IVAsk"]).toUtf8();
      ++rows;
    }
    QTemporaryDir dir;
    const Run r = quant({"svi-fit", write(dir, "spx.csv", csv)});
    QCOMPARE(r.code, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out).object();
    const QJsonArray expiries = j["expiries"].toArray();
    QVERIFY(expiries.size() >= 2);
    int fitted = 0;
    for (const QJsonValue& v : expiries) {
      const QJsonObject e = v.toObject();
      if (e["status"].toString() != "ok") continue;
      ++fitted;
      qInfo("SPX t=%.4f: %d quotes, rmse %.4f vol, a=%.5f b=%.5f rho=%.4f m=%.4f sigma=%.4f, butterfly %s",
            e["t_years"].toDouble(), e["quotes_used"].toInt(), e["rmse"].toDouble(), e["a"].toDouble(), e["b"].toDouble(),
            e["rho"].toDouble(), e["m"].toDouble(), e["sigma"].toDouble(), e["butterfly_arbitrage"].toBool() ? "yes" : "no");
      QVERIFY(e["rmse"].toDouble() < 0.02);       // within 2 vol points on real quotes
      QVERIFY(e["b"].toDouble() >= 0);
      QVERIFY(std::abs(e["rho"].toDouble()) < 1);
      QVERIFY(e["sigma"].toDouble() > 0);
    }
    QVERIFY(fitted >= 2);
    QVERIFY(j.contains("calendar_arbitrage"));
  }

  // amm-out / amm-in: Uniswap V2's integer quote, checked against Uniswap/v2-core's
  // UniswapV2Pair.spec.ts swap cases (1 token into 5/10 pays 1662497915624478906) and
  // v2-periphery's UniswapV2Router02.spec.ts (getAmountOut(2,100,100) = 1, getAmountIn(1,100,100) = 2).
  void ammQuotesAreTheRoutersIntegers() {
    Run r = quant({"amm-out", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-in",
                   "1000000000000000000"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QByteArray("1662497915624478906\n"));
    r = quant({"amm-out", "--reserve-in=1000000000000000000000", "--reserve-out=1000000000000000000000",
               "--amount-in=1000000000000000000", "--fee-bps=30"});
    QCOMPARE(r.out, QByteArray("996006981039903216\n"));
    QCOMPARE(quant({"amm-out", "--reserve-in", "100", "--reserve-out", "100", "--amount-in", "2"}).out, QByteArray("1\n"));
    QCOMPARE(quant({"amm-in", "--reserve-in", "100", "--reserve-out", "100", "--amount-out", "1"}).out, QByteArray("2\n"));
    // Hex input (JSON-RPC quantities) and amounts beyond 64 bits: 2^100 into reserves of 2^111 / 2^110.
    r = quant({"amm-out", "--reserve-in", "0x8000000000000000000000000000", "--reserve-out", "0x4000000000000000000000000000",
               "--amount-in", "0x10000000000000000000000000"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QByteArray("631616343015536765749889438617\n"));  // floor(2^100*997*2^110 / (2^111*1000 + 2^100*997))
    // amm-in is the least input that buys the output: one wei less buys less.
    r = quant({"amm-in", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-out",
               "1662497915624478906"});
    QCOMPARE(r.code, 0);
    const QByteArray in = r.out.trimmed();
    QVERIFY(in.toULongLong() <= 1000000000000000000ull);
    QCOMPARE(quant({"amm-out", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-in", in}).out,
             QByteArray("1662497915624478906\n"));
    QVERIFY(quant({"amm-out", "--reserve-in", "5000000000000000000", "--reserve-out", "10000000000000000000", "--amount-in",
                   QByteArray::number(in.toULongLong() - 1)}).out.trimmed().toULongLong() < 1662497915624478906ull);
  }

  void ammRefusalsAndUsageErrors() {
    // The pair's reverts: exit 1 with the library's message.
    Run r = quant({"amm-out", "--reserve-in", "0", "--reserve-out", "100", "--amount-in", "2"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("UniswapV2Library: INSUFFICIENT_LIQUIDITY"));
    r = quant({"amm-out", "--reserve-in", "100", "--reserve-out", "100", "--amount-in", "0"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT"));
    r = quant({"amm-in", "--reserve-in", "100", "--reserve-out", "100", "--amount-out", "100"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("not below the reserve"));
    // Usage: exit 2 with the reason; nothing on stdout.
    for (const QStringList& args : {QStringList{"amm-out", "--reserve-in", "100", "--reserve-out", "100"},
                                    QStringList{"amm-out", "--reserve-in", "1e18", "--reserve-out", "100", "--amount-in", "1"},
                                    QStringList{"amm-out", "--reserve-in", "-5", "--reserve-out", "100", "--amount-in", "1"},
                                    QStringList{"amm-out", "--reserve-in", "5192296858534827628530496329220096", "--reserve-out", "100", "--amount-in", "1"},
                                    QStringList{"amm-out", "--reserve-in", "100", "--reserve-out", "100", "--amount-in",
                                                "115792089237316195423570985008687907853269984665640564039457584007913129639936"},
                                    QStringList{"amm-out", "--reserve-in", "100", "--reserve-out", "100", "--amount-in", "1", "--fee-bps", "10000"},
                                    QStringList{"amm-in", "--reserve-in", "100", "--reserve-out", "100", "--amount-in", "1"},
                                    QStringList{"amm-out", "--reserve-in"}}) {
      r = quant(args);
      QVERIFY2(r.code == 2, qPrintable(args.join(' ')));
      QVERIFY(r.out.isEmpty());
      QVERIFY(r.err.contains("kappa-quant amm-"));
    }
    QVERIFY(quant({"amm-out", "--reserve-in", "5192296858534827628530496329220096", "--reserve-out", "100", "--amount-in", "1"})
                .err.contains("uint112"));
    r = quant({"amm-in", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("getAmountIn"));
  }
};

QTEST_GUILESS_MAIN(TestQuantCli)
#include "tst_quant_cli.moc"
