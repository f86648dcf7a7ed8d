// NATS credentials files (--nats-creds) against a real nats-server in operator mode. The operator,
// the accounts and one user per role are made at set-up by tests/peers/nats_creds.mjs with the NATS
// project's JWT library, each user's JWT carrying the permissions the roles file
// (docs/desk/nats-server-roles.conf) gives that user. Then, with creds files only:
//  - the user's name (command subjects, reply inbox) is the one in the creds' JWT: the engine
//    (the real `kappa --headless --serve`) runs with KAPPA_NATS_USER=trader in its environment and
//    still serves as engine-a;
//  - a trader's order reaches the engine and is accepted; a viewer's command is refused by the server;
//  - a user of another operator's account is refused, naming the file;
//  - a creds file others may read is refused before any connection, naming the file, its seed
//    nowhere in what is said;
//  - `kappa desk-halt` with the risk user's creds halts the desk (exit 0), with the trader's is
//    refused (exit 1).
// Every wait is bounded; every process is stopped by its own pid.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>

#include "NatsServerProcess.hpp"
#include "NodePeer.hpp"
#include "PeerProcess.hpp"
#include "nats/NatsConnection.hpp"
#include "nats/NatsSettings.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using kappa::test::NatsServerProcess;

namespace {

// Polls `done` (pumping events) until true or `ms` passed.
template <class F>
bool waitUntil(F done, int ms) {
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    QTest::qWait(20);
  }
  return true;
}

// The seed line of a creds file: what must never appear in anything Kappa says.
QByteArray seedOf(const QString& credsFile) {
  QFile f(credsFile);
  if (!f.open(QIODevice::ReadOnly)) return {};
  for (const QByteArray& line : f.readAll().split('\n'))
    if (line.trimmed().startsWith("SU")) return line.trimmed();
  return {};
}

// `kappa desk-halt URL --nats-creds FILE --reason WHY`: its exit code and stderr.
std::pair<int, QByteArray> deskHalt(const QString& url, const QString& credsFile, const QString& reason) {
  QProcess cli;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("KAPPA_NATS_USER");
  env.remove("KAPPA_NATS_PASSWORD");
  cli.setProcessEnvironment(env);
  cli.start(kappa::test::kappaBinary(), {"desk-halt", url, "--nats-creds", credsFile, "--reason", reason});
  if (!cli.waitForFinished(20000)) {
    cli.kill();
    cli.waitForFinished(5000);
    return {-1, "did not finish within 20 s"};
  }
  return {cli.exitStatus() == QProcess::NormalExit ? cli.exitCode() : -1, cli.readAllStandardError()};
}

}  // namespace

class TestNatsCreds : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;  // creds, the server's operator part, the engine's data
  NatsServerProcess server_;
  QProcess engine_;

  QString creds(const QString& user) const { return dir_.filePath(user + ".creds"); }
  QString engineOutput() const {
    QFile f(dir_.filePath("engine-a.out"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).right(3000) : QString();
  }
  nats::NatsSettings as(const QString& user) const {
    return nats::NatsSettings::fromEnvironment(server_.url().toStdString(), creds(user).toStdString());
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const test::NodePeerRun made =
        test::runNodePeer(KAPPA_NODE, kappa::test::peersDir() + "/nats_creds.mjs", {kappa::test::natsRolesFile(), dir_.path()}, 60000);
    const QString failure = test::peerRunFailure(made, "nats_creds.mjs", NatsServerProcess::users().size() + 2);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));

    NatsServerProcess::Options operatorMode;
    operatorMode.rolesFile = dir_.filePath("operator.conf");  // operator, accounts: no passwords anywhere
    const QString why = server_.start(operatorMode);
    QVERIFY2(why.isEmpty(), qPrintable(why));

    // The engine's environment names another user on purpose: with a creds file the JWT's name counts.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_NATS_USER", "trader");
    env.remove("KAPPA_NATS_PASSWORD");
    engine_.setProcessEnvironment(env);
    engine_.setProcessChannelMode(QProcess::MergedChannels);
    engine_.setStandardOutputFile(dir_.filePath("engine-a.out"));  // a file: a full pipe would stall it
    engine_.setProgram(kappa::test::kappaBinary());
    engine_.setArguments({"--headless", "--serve", server_.url(), "--nats-creds", creds("engine-a"), "--engine-name", "a",
                          "--command-users", "trader", "--risk-users", "risk", "--data-dir", dir_.filePath("engine-a"),
                          "--seed", "3", "--feed-rate", "1000"});
    const QString started = test::startPeer(engine_, "kappa");
    QVERIFY2(started.isEmpty(), qPrintable(started));
    remote::RemoteEngineLink probe;
    std::string error = "not tried";
    QVERIFY2(waitUntil([&] {
               probe.close();
               error = probe.connect(as("viewer"), "a", std::chrono::milliseconds(2000));
               return error.empty() || engine_.state() == QProcess::NotRunning;
             }, 30000) && error.empty(),
             qPrintable(QString::fromStdString(error) + "\n" + engineOutput() + "\n" + server_.log().right(3000)));
  }

  void cleanupTestCase() {
    test::stopPeer(engine_, 15000);  // SIGTERM: the engine writes its journal's end
    server_.stop();
  }

  // The user's name is the creds' JWT's, whatever the environment says; the seed is never shown.
  void theUserNameComesFromTheCreds() {
    qputenv("KAPPA_NATS_USER", "risk");
    const nats::NatsSettings s = as("trader");
    qunsetenv("KAPPA_NATS_USER");
    QCOMPARE(s.user, std::string("trader"));
    QCOMPARE(s.effectiveInboxPrefix(), std::string("_INBOX.trader"));
    QCOMPARE(s.validate(), std::string());
    const std::string described = s.describe();
    QVERIFY2(described.find("'trader'") != std::string::npos && described.find(creds("trader").toStdString()) != std::string::npos,
             described.c_str());
    const QByteArray seed = seedOf(creds("trader"));
    QVERIFY(seed.size() > 20);
    QVERIFY(described.find(seed.toStdString()) == std::string::npos);
    // A name other than the creds' is refused, not sent under.
    nats::NatsSettings other = s;
    other.user = "risk";
    QCOMPARE(other.validate(), "the creds file '" + creds("trader").toStdString() + "' is for user 'trader', not 'risk'");
    QCOMPARE(nats::NatsConnection().connect(other), other.validate());
  }

  // The engine serves under its creds; the trader's order is accepted; a viewer may not command.
  void aTradersOrderIsAcceptedAViewersCommandRefused() {
    remote::RemoteEngineLink trader;
    const std::string error = trader.connect(as("trader"), "a");
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(trader.user(), std::string("trader"));
    const Instrument* perp = trader.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    Price bid = 0;
    QVERIFY(waitUntil([&] {
      trader.takeSnapshot();
      for (const QuoteRow& q : trader.snapshot().quotes)
        if (q.instrument == perp->id) bid = q.bid;
      return bid > 0;
    }, 10000));
    OrderRequest order;
    order.instrument = perp->id;
    order.side = Side::Buy;
    order.price = bid - 200 * perp->tickSize;  // rests far under the market
    order.qty = perp->minQty;
    order.tag = "creds";
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto answer = std::make_shared<remote::CommandAnswer>();
    trader.submit(order, [answered, answer](const remote::CommandAnswer& a) {
      *answer = a;
      answered->store(true);
    });
    QVERIFY2(waitUntil([&] { return answered->load(); }, 10000), "no answer to the trader's order");
    QVERIFY2(answer->accepted, answer->reason.c_str());
    QVERIFY(answer->orderId != 0);

    remote::RemoteEngineLink viewer;
    QVERIFY(viewer.connect(as("viewer"), "a").empty());
    auto resumed = std::make_shared<std::string>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    viewer.resume([resumed, done](std::string why) {
      *resumed = std::move(why);
      done->store(true);
    });
    QVERIFY(waitUntil([&] { return done->load(); }, 8000));
    QVERIFY2(resumed->find("refused by the server") != std::string::npos, resumed->c_str());
  }

  // A user of another operator's account, same name as the trader: refused, naming the file.
  void aUserOfAnotherOperatorIsRefused() {
    const nats::NatsSettings stranger = as("stranger");
    QCOMPARE(stranger.user, std::string("trader"));
    nats::NatsConnection c;
    QCOMPARE(c.connect(stranger),
             "authentication refused: the server rejects the credentials in " + creds("stranger").toStdString());
    QVERIFY(!c.connected());
  }

  // A creds file that others may read is refused before any connection, naming the file.
  void aCredsFileOthersMayReadIsRefused() {
    const QString open = dir_.filePath("open.creds");
    QVERIFY(QFile::copy(creds("risk"), open));
    QVERIFY(QFile::setPermissions(open, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
    const std::string expected = "the creds file '" + open.toStdString() +
                                 "' may be read or changed by others (mode 0644): it holds a private key; make it the "
                                 "owner's only (chmod 600)";
    nats::NatsSettings s;
    s.url = server_.url().toStdString();
    QCOMPARE(s.useCredsFile(open.toStdString()), expected);
    QVERIFY(s.user.empty());
    QCOMPARE(nats::NatsConnection().connect(s), expected);
    remote::RemoteEngineLink link;
    QCOMPARE(link.connect(as("open"), "a"), expected);
    const auto [code, said] = deskHalt(server_.url(), open, "open creds");
    QCOMPARE(code, 1);
    QVERIFY2(said.contains(expected.c_str()), said.constData());
    QVERIFY(!said.contains(seedOf(open)));
    // Private again: accepted.
    QVERIFY(QFile::setPermissions(open, QFile::ReadOwner | QFile::WriteOwner));
    QCOMPARE(s.useCredsFile(open.toStdString()), std::string());
    QCOMPARE(s.user, std::string("risk"));
  }

  // A file that is not a creds file: refused with what is missing, never with its content.
  void aFileThatIsNoCredsFileIsRefused() {
    const QString bogus = dir_.filePath("bogus.creds");
    QFile f(bogus);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("password=hunter2\n");
    f.close();
    QVERIFY(QFile::setPermissions(bogus, QFile::ReadOwner | QFile::WriteOwner));
    nats::NatsSettings s;
    s.url = server_.url().toStdString();
    const std::string why = s.useCredsFile(bogus.toStdString());
    QCOMPARE(why, "the creds file '" + bogus.toStdString() + "' holds no user JWT (-----BEGIN NATS USER JWT-----)");
    QCOMPARE(nats::NatsConnection().connect(s), why);
  }

  // kappa desk-halt with creds: the trader's refused by the server, the risk user's halts the engine.
  void deskHaltWithCreds() {
    const auto [refusedCode, refusal] = deskHalt(server_.url(), creds("trader"), "a trader tries");
    QCOMPARE(refusedCode, 1);
    QVERIFY2(refusal.contains("not accepted") && refusal.contains("kappa.desk.halt"), refusal.constData());

    remote::RemoteEngineLink viewer;
    QVERIFY(viewer.connect(as("viewer"), "a").empty());
    QVERIFY(!viewer.halted());
    const auto [code, said] = deskHalt(server_.url(), creds("risk"), "creds drill");
    QVERIFY2(code == 0, said.constData());
    QVERIFY2(waitUntil([&] {
               viewer.takeSnapshot();
               // "by risk": desk-halt's notice carries the user's name from the creds' JWT.
               const std::string& why = viewer.snapshot().haltReason;
               return viewer.halted() && why.find("DESK HALT by risk") != std::string::npos &&
                      why.find("creds drill") != std::string::npos;
             }, 10000),
             viewer.snapshot().haltReason.c_str());
  }
};

QTEST_GUILESS_MAIN(TestNatsCreds)
#include "tst_nats_creds.moc"
