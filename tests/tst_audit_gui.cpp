// The journal audit view, driven like an auditor drives it: the engine's own Journal writes order
// facts of several kinds, instruments, strategies and times (and stays open, as in a running
// terminal); kinds and quick ranges are chosen with the keyboard, the instrument, strategy and text
// are typed, the time range is stepped section by section, the time column is sorted by clicking
// its header; the rows shown, the "showing N of M" cap and the CSV export (every match, quoted
// properly) are checked against what the filters must give. A missing or foreign file shows why
// in the status line.
//
// The Export button's file dialog cannot be clicked headless: exports go through exportCsv() and
// startExport(), which the button calls with the chosen file.
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <sqlite3.h>

#include <memory>

#include "AuditView.hpp"
#include "journal/Journal.hpp"

using namespace kappa;
using namespace kappa::ui;

namespace {
constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kT0 = 1'700'000'000 * kSecond;  // 2023-11-14 22:13:20 UTC
constexpr InstrumentId kPerp = 0, kCall = 1;
const char* const kPerpName = "BTC-PERPETUAL";
const char* const kCallName = "BTC-27DEC26-70000-C";
const char* const kRejectText = "refused: limit \"max qty\", see risk.json";  // a comma and quotes
const char* const kParamText = "mm#2: spread=2\nwas 3";                      // a line break
const char* const kRiskText = "mm#1: quote refused, rate limit";
const char* const kCsvHeader = "time_utc,ts_ns,kind,order_id,venue,instrument,strategy,side,price,qty,value,text";

JournalRecord record(JournalKind kind, Nanos ts, OrderId order, InstrumentId instrument, std::uint32_t strategy,
                     Side side, double price, double qty, double value, std::string text) {
  JournalRecord r;
  r.kind = kind;
  r.ts = ts;
  r.order = order;
  r.instrument = instrument;
  r.strategy = strategy;
  r.side = side;
  r.price = toFixed(price);
  r.qty = toFixed(qty);
  r.value = value;
  r.text = std::move(text);
  return r;
}

QDateTime utc(Nanos ts) { return QDateTime::fromMSecsSinceEpoch(ts / 1'000'000, Qt::UTC); }

// Replaces a line edit's text the way a user does: select all, delete, type.
void typeInto(QLineEdit* edit, const QString& text) {
  QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
  QTest::keyClick(edit, Qt::Key_Backspace);
  if (!text.isEmpty()) QTest::keyClicks(edit, text);
}

// Home, then Down until the entry: the keyboard path through a closed combo box.
bool chooseByKeyboard(QComboBox* combo, const QString& text) {
  const int target = combo->findText(text);
  if (target < 0) return false;
  QTest::keyClick(combo, Qt::Key_Home);
  for (int i = 0; i < target; ++i) QTest::keyClick(combo, Qt::Key_Down);
  return combo->currentIndex() == target;
}

QString csvLine(const QStringList& fields) { return fields.join(','); }

QStringList readCsv(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {"<cannot open " + path + ">"};
  // Records end in CRLF; a line break inside a quoted field is a bare LF and stays in its record.
  return QString::fromUtf8(f.readAll()).split("\r\n");
}

bool createDatabase(const QString& path, const char* sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK &&
            sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}
}  // namespace

class TestAuditGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  InstrumentRegistry instruments_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<AuditView> view_;
  Nanos recentTs_ = 0;  // the one record inside "last hour" and "today"

  QComboBox* range() const { return view_->findChild<QComboBox*>("auditRange"); }
  QDateTimeEdit* from() const { return view_->findChild<QDateTimeEdit*>("auditFrom"); }
  QDateTimeEdit* to() const { return view_->findChild<QDateTimeEdit*>("auditTo"); }
  QComboBox* kind() const { return view_->findChild<QComboBox*>("auditKind"); }
  QLineEdit* instrument() const { return view_->findChild<QLineEdit*>("auditInstrument"); }
  QComboBox* strategy() const { return view_->findChild<QComboBox*>("auditStrategy"); }
  QLineEdit* text() const { return view_->findChild<QLineEdit*>("auditText"); }
  QPushButton* refreshButton() const { return view_->findChild<QPushButton*>("auditRefresh"); }
  QTableView* table() const { return view_->findChild<QTableView*>("auditTable"); }
  QLabel* status() const { return view_->findChild<QLabel*>("auditStatus"); }
  QAbstractItemModel* rows() const { return table()->model(); }

  QString cell(int row, int column) const { return rows()->index(row, column).data().toString(); }
  QStringList column(int column) const {
    QStringList out;
    for (int r = 0; r < rows()->rowCount(); ++r) out << cell(r, column);
    return out;
  }
  int rowOfKind(const QString& kindName) const { return column(AuditModel::Kind).indexOf(kindName); }

  // Until the last filter change has its rows on screen.
  static bool settled(const AuditView* view) { return QTest::qWaitFor([view] { return !view->isBusy(); }, 5000); }

  void clickTimeHeader() {
    QHeaderView* header = table()->horizontalHeader();
    const int x = header->sectionViewportPosition(AuditModel::Time) + header->sectionSize(AuditModel::Time) / 2;
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
  }

  QString expectedCsv(Nanos ts, const QStringList& rest) const {
    return csvLine(QStringList{utc(ts).toString(Qt::ISODateWithMs), QString::number(ts)} + rest);
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    Instrument perp;
    perp.name = kPerpName;
    instruments_.add(perp);
    Instrument call;
    call.name = kCallName;
    call.kind = InstrumentKind::Option;
    instruments_.add(call);

    journal_ = std::make_unique<Journal>(dir_.filePath("journal.sqlite").toStdString(), instruments_, JournalOptions{},
                                         std::vector<std::string>{"deribit"});
    QVERIFY2(!journal_->failed(), journal_->failure().c_str());
    recentTs_ = (QDateTime::currentMSecsSinceEpoch() - 1000) * 1'000'000;
    const JournalRecord records[] = {
        record(JournalKind::OrderIntent, kT0, 1, kPerp, 1, Side::Buy, 35000.5, 10, 0, "mm#1"),
        record(JournalKind::OrderAck, kT0 + kSecond, 1, kPerp, 1, Side::Buy, 35000.5, 10, 0, ""),
        record(JournalKind::Fill, kT0 + 2 * kSecond, 1, kPerp, 1, Side::Buy, 35000.5, 10, 0.125, "maker"),
        record(JournalKind::OrderIntent, kT0 + 3600 * kSecond, 2, kCall, 2, Side::Sell, 0.0125, 0.1, 0, "mm#2"),
        record(JournalKind::OrderReject, kT0 + 3601 * kSecond, 2, kCall, 2, Side::Sell, 0.0125, 0.1, 0, kRejectText),
        record(JournalKind::StateChange, kT0 + 7200 * kSecond, 0, kNoInstrument, 0, Side::Buy, 0, 0, 0,
               "ACTIVE -> HALTED: HALT ALL pressed (by the user)"),
        record(JournalKind::ParamChange, kT0 + 7201 * kSecond, 0, kNoInstrument, 2, Side::Buy, 0, 0, 0, kParamText),
        record(JournalKind::Fill, kT0 + 7202 * kSecond, 2, kCall, 2, Side::Sell, 0.0125, 0.05, 0.0625, "taker"),
        record(JournalKind::RiskEvent, recentTs_, 0, kNoInstrument, 1, Side::Buy, 0, 0, 0, kRiskText),
    };
    for (const JournalRecord& r : records) QVERIFY(journal_->append(r));
    journal_->flush();
    QVERIFY2(!journal_->failed(), journal_->failure().c_str());
    QCOMPARE(journal_->committed(), std::uint64_t(9));

    view_ = std::make_unique<AuditView>();
    view_->setJournalPath(dir_.filePath("journal.sqlite"));
    view_->resize(1400, 700);
    view_->show();
    QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
    for (const char* name : {"auditRange", "auditFrom", "auditTo", "auditKind", "auditInstrument", "auditStrategy",
                             "auditText", "auditRefresh", "auditExport", "auditTable", "auditStatus"})
      QVERIFY2(view_->findChild<QWidget*>(name), name);
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);
  }

  void cleanupTestCase() {
    view_.reset();
    journal_.reset();
  }

  void showsEveryRecordNewestFirst() {
    QCOMPARE(rows()->rowCount(), 9);
    QCOMPARE(status()->text(), QString("9 matching records"));
    QCOMPARE(column(AuditModel::Kind),
             (QStringList{"risk_event", "fill", "param_change", "state_change", "order_reject", "order_intent", "fill",
                          "order_ack", "order_intent"}));
    QCOMPARE(cell(8, AuditModel::Time), QString("2023-11-14 22:13:20.000"));
    QCOMPARE(cell(0, AuditModel::Time), utc(recentTs_).toString("yyyy-MM-dd HH:mm:ss.zzz"));

    const int reject = rowOfKind("order_reject");
    QCOMPARE(cell(reject, AuditModel::Order), QString("2"));
    QCOMPARE(cell(reject, AuditModel::Instrument), QString(kCallName));
    QCOMPARE(cell(reject, AuditModel::Strategy), QString("2"));
    QCOMPARE(cell(reject, AuditModel::Side), QString("sell"));
    QCOMPARE(cell(reject, AuditModel::Price), QString("0.0125"));
    QCOMPARE(cell(reject, AuditModel::Qty), QString("0.1"));
    QCOMPARE(cell(reject, AuditModel::Value), QString());  // no fee on a reject
    QCOMPARE(cell(reject, AuditModel::Text), QString(kRejectText));

    const int perpFill = column(AuditModel::Instrument).indexOf(kPerpName);  // newest perp record: the fill
    QCOMPARE(cell(perpFill, AuditModel::Kind), QString("fill"));
    QCOMPARE(cell(perpFill, AuditModel::Price), QString("35000.5"));
    QCOMPARE(cell(perpFill, AuditModel::Qty), QString("10"));
    QCOMPARE(cell(perpFill, AuditModel::Value), QString("0.125"));
    QCOMPARE(cell(perpFill, AuditModel::Venue), QString("deribit"));  // every record about an instrument has its venue
    QCOMPARE(rows()->headerData(AuditModel::Venue, Qt::Horizontal).toString(), QString("Venue"));

    const int state = rowOfKind("state_change");
    for (int c : {int(AuditModel::Order), int(AuditModel::Venue), int(AuditModel::Instrument), int(AuditModel::Strategy), int(AuditModel::Side),
                  int(AuditModel::Price), int(AuditModel::Qty), int(AuditModel::Value)})
      QVERIFY2(cell(state, c).isEmpty(), qPrintable(QString("column %1: %2").arg(c).arg(cell(state, c))));

    QCOMPARE(kind()->count(), 1 + kJournalKinds);
    QCOMPARE(kind()->itemText(0), QString("any"));
    QVERIFY(kind()->findText("position_snapshot") > 0);
    QVERIFY(kind()->findText("plugin_load") > 0);
    // The strategy choices come from the file.
    QVERIFY(strategy()->findText("1") >= 0);
    QVERIFY(strategy()->findText("2") >= 0);
    QCOMPARE(strategy()->findText("3"), -1);
  }

  void filtersByKindInstrumentStrategyAndText() {
    QVERIFY(chooseByKeyboard(kind(), "fill"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"fill", "fill"}));

    typeInto(instrument(), "perp");  // contains, whatever the case
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Instrument), QStringList{kPerpName});
    typeInto(instrument(), "Deribit:");  // the venue is part of what the filter reads
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"fill", "fill"}));
    typeInto(instrument(), "binance");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 0);
    typeInto(instrument(), "perp");
    QVERIFY(settled(view_.get()));

    QVERIFY(chooseByKeyboard(kind(), "any"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"fill", "order_ack", "order_intent"}));

    typeInto(instrument(), "70000-c");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"fill", "order_reject", "order_intent"}));
    typeInto(instrument(), "");

    typeInto(strategy()->lineEdit(), "2");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Strategy), (QStringList{"2", "2", "2", "2"}));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"fill", "param_change", "order_reject", "order_intent"}));

    typeInto(strategy()->lineEdit(), "none");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), QStringList{"state_change"});

    typeInto(strategy()->lineEdit(), "#1");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"risk_event", "fill", "order_ack", "order_intent"}));

    typeInto(strategy()->lineEdit(), "abc");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 0);
    QVERIFY2(status()->text().contains("not an instance id"), qPrintable(status()->text()));

    typeInto(strategy()->lineEdit(), "any");
    typeInto(text(), "halt");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), QStringList{"state_change"});

    typeInto(text(), "MAX QTY");
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), QStringList{"order_reject"});

    // LIKE's wildcards are searched for literally: no record's text holds either.
    typeInto(text(), "%");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 0);
    typeInto(text(), "_");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 0);

    // Two filters at once.
    typeInto(text(), "");
    typeInto(strategy()->lineEdit(), "2");
    QVERIFY(chooseByKeyboard(kind(), "fill"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Qty), QStringList{"0.05"});

    typeInto(strategy()->lineEdit(), "any");
    QVERIFY(chooseByKeyboard(kind(), "any"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);
  }

  void filtersByTime() {
    QVERIFY(chooseByKeyboard(range(), "Last hour"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), QStringList{"risk_event"});
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(qAbs(from()->dateTime().toMSecsSinceEpoch() - (nowMs - 3'600'000)) < 60'000);  // shows what it means

    QVERIFY(chooseByKeyboard(range(), "Today"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), QStringList{"risk_event"});

    QVERIFY(chooseByKeyboard(range(), "All"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);

    // A picked bound makes the range custom; "to" includes its own millisecond.
    from()->setDateTime(utc(kT0));
    QCOMPARE(range()->currentText(), QString("Custom"));
    to()->setDateTime(utc(kT0 + 7200 * kSecond));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind),
             (QStringList{"state_change", "order_reject", "order_intent", "fill", "order_ack", "order_intent"}));

    // Step the hour of "from" up, the second of "to" down, from the keyboard.
    from()->setCurrentSection(QDateTimeEdit::HourSection);
    QCOMPARE(from()->currentSection(), QDateTimeEdit::HourSection);
    QTest::keyClick(from(), Qt::Key_Up);
    QCOMPARE(from()->dateTime(), utc(kT0 + 3600 * kSecond));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"state_change", "order_reject", "order_intent"}));

    to()->setCurrentSection(QDateTimeEdit::SecondSection);
    QCOMPARE(to()->currentSection(), QDateTimeEdit::SecondSection);
    QTest::keyClick(to(), Qt::Key_Down);
    QCOMPARE(to()->dateTime(), utc(kT0 + 7199 * kSecond));
    QVERIFY(settled(view_.get()));
    QCOMPARE(column(AuditModel::Kind), (QStringList{"order_reject", "order_intent"}));

    from()->setDateTime(utc(kT0 + 9000 * kSecond));
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 0);
    QVERIFY2(status()->text().contains("ends before it starts"), qPrintable(status()->text()));

    QVERIFY(chooseByKeyboard(range(), "All"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);
  }

  void capsTheViewNotTheExport() {
    view_->setRowCap(5);
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 5);
    QVERIFY2(status()->text().startsWith("Showing 5 of 9 "), qPrintable(status()->text()));
    // The newest five.
    QCOMPARE(column(AuditModel::Kind), (QStringList{"risk_event", "fill", "param_change", "state_change", "order_reject"}));

    clickTimeHeader();
    QCOMPARE(column(AuditModel::Kind), (QStringList{"order_reject", "state_change", "param_change", "fill", "risk_event"}));
    QCOMPARE(cell(0, AuditModel::Time), QString("2023-11-14 23:13:21.000"));
    clickTimeHeader();
    QCOMPARE(cell(0, AuditModel::Kind), QString("risk_event"));

    const QString file = dir_.filePath("all.csv");
    QString error;
    QCOMPARE(view_->exportCsv(file, &error), qint64(9));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList expected = {
        kCsvHeader,
        expectedCsv(kT0, {"order_intent", "1", "deribit", kPerpName, "1", "buy", "35000.5", "10", "0", "mm#1"}),
        expectedCsv(kT0 + kSecond, {"order_ack", "1", "deribit", kPerpName, "1", "buy", "35000.5", "10", "0", ""}),
        expectedCsv(kT0 + 2 * kSecond, {"fill", "1", "deribit", kPerpName, "1", "buy", "35000.5", "10", "0.125", "maker"}),
        expectedCsv(kT0 + 3600 * kSecond, {"order_intent", "2", "deribit", kCallName, "2", "sell", "0.0125", "0.1", "0", "mm#2"}),
        expectedCsv(kT0 + 3601 * kSecond, {"order_reject", "2", "deribit", kCallName, "2", "sell", "0.0125", "0.1", "0",
                                           "\"refused: limit \"\"max qty\"\", see risk.json\""}),
        expectedCsv(kT0 + 7200 * kSecond,
                    {"state_change", "", "", "", "", "", "0", "0", "0", "ACTIVE -> HALTED: HALT ALL pressed (by the user)"}),
        expectedCsv(kT0 + 7201 * kSecond, {"param_change", "", "", "", "2", "", "0", "0", "0", "\"mm#2: spread=2\nwas 3\""}),
        expectedCsv(kT0 + 7202 * kSecond, {"fill", "2", "deribit", kCallName, "2", "sell", "0.0125", "0.05", "0.0625", "taker"}),
        expectedCsv(recentTs_, {"risk_event", "", "", "", "1", "", "0", "0", "0", "\"mm#1: quote refused, rate limit\""}),
        "",  // the last record's CRLF
    };
    const QStringList lines = readCsv(file);
    QCOMPARE(lines.size(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) QCOMPARE(lines[i], expected[i]);
    QVERIFY(lines[0].startsWith("time_utc,"));
    QVERIFY(expected[1].startsWith("2023-11-14T22:13:20.000Z,1700000000000000000,"));  // the format, spelled out
    QVERIFY2(status()->text().startsWith("Exported 9 records"), qPrintable(status()->text()));

    view_->setRowCap(AuditView::kDefaultRowCap);
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);
  }

  void exportsExactlyTheFilteredRecords() {
    QVERIFY(chooseByKeyboard(kind(), "order_reject"));
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 1);
    const QString rejects = dir_.filePath("rejects.csv");
    QCOMPARE(view_->exportCsv(rejects), qint64(1));
    QCOMPARE(readCsv(rejects),
             (QStringList{kCsvHeader,
                          expectedCsv(kT0 + 3601 * kSecond, {"order_reject", "2", "deribit", kCallName, "2", "sell", "0.0125", "0.1",
                                                             "0", "\"refused: limit \"\"max qty\"\", see risk.json\""}),
                          ""}));

    QVERIFY(chooseByKeyboard(kind(), "any"));
    typeInto(strategy()->lineEdit(), "2");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 4);

    // The Export button's path: on the worker thread, the outcome signalled.
    QSignalSpy finished(view_.get(), &AuditView::exportFinished);
    const QString second = dir_.filePath("strategy-2.csv");
    view_->startExport(second);
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toLongLong(), qint64(4));
    QCOMPARE(finished.at(0).at(1).toString(), QString());
    const QStringList lines = readCsv(second);
    QCOMPARE(lines.size(), 1 + 4 + 1);
    QStringList kinds;
    for (qsizetype i = 1; i <= 4; ++i) {
      const QStringList fields = lines[i].split(',');
      kinds << fields.value(2);
      QCOMPARE(fields.value(6), QString("2"));  // strategy
    }
    QCOMPARE(kinds, (QStringList{"order_intent", "order_reject", "param_change", "fill"}));  // oldest first

    // A file that cannot be written: said so, nothing left behind.
    const QString nowhere = dir_.filePath("no-such-folder/out.csv");
    QString error;
    QCOMPARE(view_->exportCsv(nowhere, &error), qint64(-1));
    QVERIFY2(error.contains("Cannot write"), qPrintable(error));
    QCOMPARE(status()->text(), error);
    QVERIFY(!QFile::exists(nowhere));

    typeInto(strategy()->lineEdit(), "any");
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 9);
  }

  void refreshReadsRecordsWrittenSince() {
    QVERIFY(journal_->append(
        record(JournalKind::Cancelled, kT0 + 3 * kSecond, 3, kPerp, 3, Side::Sell, 0, 0, 0, "by the user")));
    journal_->flush();
    QVERIFY2(!journal_->failed(), journal_->failure().c_str());
    QCOMPARE(rows()->rowCount(), 9);  // nothing reads the file by itself while the filters stay
    QCOMPARE(strategy()->findText("3"), -1);

    QTest::mouseClick(refreshButton(), Qt::LeftButton);
    QVERIFY(settled(view_.get()));
    QCOMPARE(rows()->rowCount(), 10);
    QVERIFY(rowOfKind("cancelled") >= 0);
    QVERIFY(strategy()->findText("3") >= 0);  // the new instance is offered
    QCOMPARE(strategy()->currentText(), QString("any"));
  }

  void missingJournalShowsAnError() {
    AuditView view;
    const QString missing = dir_.filePath("elsewhere/journal.sqlite");
    view.setJournalPath(missing);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(settled(&view));
    auto* statusLabel = view.findChild<QLabel*>("auditStatus");
    QVERIFY(statusLabel);
    QVERIFY2(statusLabel->text().startsWith("No journal at"), qPrintable(statusLabel->text()));
    QVERIFY(statusLabel->text().contains(QDir::toNativeSeparators(missing)));
    QCOMPARE(view.model()->rowCount(), 0);

    const QString target = dir_.filePath("from-missing.csv");
    QString error;
    QCOMPARE(view.exportCsv(target, &error), qint64(-1));
    QVERIFY(error.startsWith("No journal at"));
    QVERIFY(!QFile::exists(target));

    QTest::mouseClick(view.findChild<QPushButton*>("auditRefresh"), Qt::LeftButton);
    QVERIFY(settled(&view));
    QVERIFY(statusLabel->text().startsWith("No journal at"));
    QVERIFY(!QFile::exists(missing));  // read-only: never created
  }

  // A journal from before the venue column (schema 2) reads as it is: its rows with an empty
  // venue, the filter and the export working on the instrument alone (the view never migrates).
  void aJournalWithoutVenuesReads() {
    const QString old = dir_.filePath("schema2.sqlite");
    QVERIFY(createDatabase(old,
                           "CREATE TABLE journal (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL,"
                           " order_id INTEGER, instrument TEXT, strategy INTEGER, side TEXT, price INTEGER, qty INTEGER,"
                           " value REAL, text TEXT, session INTEGER);"
                           "INSERT INTO journal(ts, kind, order_id, instrument, side, price, qty, value, session)"
                           " VALUES (1700000000000000000, 'fill', 4, 'BTC-PERPETUAL', 'buy', 6000000000000, 1000000000, 0, 1);"
                           "PRAGMA user_version=2;"));
    AuditView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setJournalPath(old);
    QVERIFY(settled(&view));
    QCOMPARE(view.model()->rowCount(), 1);
    QCOMPARE(view.model()->index(0, AuditModel::Instrument).data().toString(), QString("BTC-PERPETUAL"));
    QCOMPARE(view.model()->index(0, AuditModel::Venue).data().toString(), QString());
    auto* filter = view.findChild<QLineEdit*>("auditInstrument");
    typeInto(filter, "perp");
    QVERIFY(settled(&view));
    QCOMPARE(view.model()->rowCount(), 1);
    const QString csv = dir_.filePath("schema2.csv");
    QString error;
    QCOMPARE(view.exportCsv(csv, &error), qint64(1));
    QCOMPARE(readCsv(csv).value(1), expectedCsv(1'700'000'000'000'000'000, {"fill", "4", "", "BTC-PERPETUAL", "", "buy",
                                                                          "60000", "10", "0", ""}));
  }

  void foreignFilesSayWhy() {
    AuditView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    auto* statusLabel = view.findChild<QLabel*>("auditStatus");
    QVERIFY(statusLabel);

    const QString notSqlite = dir_.filePath("notes.sqlite");
    {
      QFile f(notSqlite);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("these are not the records you are looking for\n");
    }
    view.setJournalPath(notSqlite);
    QVERIFY(settled(&view));
    QVERIFY2(statusLabel->text().contains("not an SQLite database"), qPrintable(statusLabel->text()));

    const QString otherSchema = dir_.filePath("other-schema.sqlite");
    QVERIFY(createDatabase(otherSchema, "CREATE TABLE journal (seq INTEGER PRIMARY KEY, ts INTEGER, note TEXT);"));
    view.setJournalPath(otherSchema);
    QVERIFY(settled(&view));
    QVERIFY2(statusLabel->text().contains("unexpected journal schema"), qPrintable(statusLabel->text()));
    QCOMPARE(view.model()->rowCount(), 0);

    const QString noJournal = dir_.filePath("no-journal.sqlite");
    QVERIFY(createDatabase(noJournal, "CREATE TABLE orders (id INTEGER PRIMARY KEY);"));
    view.setJournalPath(noJournal);
    QVERIFY(settled(&view));
    QVERIFY2(statusLabel->text().contains("not a Kappa journal"), qPrintable(statusLabel->text()));

    // And back to a good journal: the view recovers.
    view.setJournalPath(dir_.filePath("journal.sqlite"));
    QVERIFY(settled(&view));
    QCOMPARE(view.model()->rowCount(), 10);
  }
};

QTEST_MAIN(TestAuditGui)
#include "tst_audit_gui.moc"
