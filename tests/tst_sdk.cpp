// The strategy SDK as a third party sees it: install the `sdk` component from the build tree,
// build the installed template project out of tree with find_package(KappaSDK), load the result
// into a headless terminal; and a plugin built for another ABI major is refused.
//
// The kappa executable, the build tree and the wrong-ABI plugin come from TestPaths.hpp. Compile
// definitions, optional: KAPPA_CMAKE_COMMAND (default "cmake") and KAPPA_CXX_COMPILER (the compiler
// the template is built with; default: CMake's choice), system paths the same in every clone. The
// steps run in order and share one temporary directory, kept (and its path printed) when a step fails.
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>
#include "TestPaths.hpp"

#ifndef KAPPA_CMAKE_COMMAND
#define KAPPA_CMAKE_COMMAND "cmake"
#endif

namespace {

struct Run {
  QString command;
  bool started = false, finished = false;
  int exitCode = -1;
  QProcess::ExitStatus status = QProcess::NormalExit;
  QString error;
  QByteArray out, err;

  bool ok() const { return finished && status == QProcess::NormalExit && exitCode == 0; }
  QString describe() const {
    auto tail = [](const QByteArray& b) {
      const qsizetype max = 6000;
      return b.size() > max ? "[...]\n" + QString::fromLocal8Bit(b.right(max)) : QString::fromLocal8Bit(b);
    };
    QString s = "\n  command: " + command + "\n  ";
    if (!started)
      s += "did not start: " + error;
    else if (!finished)
      s += "timed out (killed): " + error;
    else if (status != QProcess::NormalExit)
      s += "crashed: " + error;
    else
      s += "exit code " + QString::number(exitCode);
    return s + "\n  --- stdout ---\n" + tail(out) + "\n  --- stderr ---\n" + tail(err);
  }
};

Run run(const QString& program, const QStringList& args, int timeoutMs) {
  Run r;
  r.command = program + " " + args.join(' ');
  QProcess p;
  p.start(program, args);
  r.started = p.waitForStarted(30000);
  if (!r.started) {
    r.error = p.errorString();
    return r;
  }
  r.finished = p.waitForFinished(timeoutMs);
  if (!r.finished) {
    r.error = QString("no exit after %1 s").arg(timeoutMs / 1000);
    p.kill();
    p.waitForFinished(5000);
  }
  r.status = p.exitStatus();
  r.exitCode = p.exitCode();
  if (r.status != QProcess::NormalExit && r.error.isEmpty()) r.error = p.errorString();
  r.out = p.readAllStandardOutput();
  r.err = p.readAllStandardError();
  return r;
}

bool copyTree(const QString& from, const QString& to, QString* error) {
  const QDir source(from);
  if (!source.exists()) {
    *error = "no directory " + from;
    return false;
  }
  if (!QDir().mkpath(to)) {
    *error = "cannot create " + to;
    return false;
  }
  QDirIterator it(from, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString path = it.next();
    const QString target = to + "/" + source.relativeFilePath(path);
    const bool ok = it.fileInfo().isDir() ? QDir().mkpath(target) : QFile::copy(path, target);
    if (!ok) {
      *error = "cannot copy " + path + " to " + target;
      return false;
    }
  }
  return true;
}

}  // namespace

class TestSdk : public QObject {
  Q_OBJECT
  std::unique_ptr<QTemporaryDir> tmp_;
  bool keep_ = false;
  bool installed_ = false, built_ = false;

  QString path(const QString& relative) const { return tmp_->filePath(relative); }
  QString prefix() const { return path("prefix"); }
  QString plugin() const { return path("tb/my_strategy.so"); }

 private slots:
  void initTestCase() {
    tmp_ = std::make_unique<QTemporaryDir>();
    QVERIFY2(tmp_->isValid(), qPrintable("cannot create a temporary directory: " + tmp_->errorString()));
  }

  void cleanup() {
    if (QTest::currentTestFailed()) keep_ = true;
  }

  void cleanupTestCase() {
    if (keep_ && tmp_) {
      tmp_->setAutoRemove(false);
      qWarning("tst_sdk: a step failed; its files are kept in %s", qPrintable(tmp_->path()));
    }
  }

  // (a) The sdk component installs the headers and the CMake package.
  void installSdkComponent() {
    const Run r = run(KAPPA_CMAKE_COMMAND, {"--install", kappa::test::buildDir(), "--prefix", prefix(), "--component", "sdk"},
                      120000);
    QVERIFY2(r.ok(), qPrintable("cmake --install of the sdk component failed:" + r.describe()));
    for (const char* header : {"include/kappa/strategy.h", "include/kappa/strategy.hpp"})
      QVERIFY2(QFile::exists(prefix() + "/" + header),
               qPrintable(QString("not installed: %1").arg(header) + r.describe()));
    // lib/cmake/KappaSDK; GNUInstallDirs makes it lib/<multiarch>/cmake/KappaSDK for a /usr prefix.
    QString configDir = prefix() + "/lib/cmake/KappaSDK";
    if (!QFile::exists(configDir + "/KappaSDKConfig.cmake")) {
      QDirIterator it(prefix() + "/lib", {"KappaSDKConfig.cmake"}, QDir::Files, QDirIterator::Subdirectories);
      if (it.hasNext()) configDir = QFileInfo(it.next()).path();
    }
    for (const char* file : {"KappaSDKConfig.cmake", "KappaSDKConfigVersion.cmake", "KappaSDKTargets.cmake"})
      QVERIFY2(QFile::exists(configDir + "/" + file),
               qPrintable(QString("not installed: lib/cmake/KappaSDK/%1").arg(file) + r.describe()));
    QVERIFY2(QFile::exists(prefix() + "/share/kappa/plugin-template/CMakeLists.txt"),
             qPrintable("the plugin template was not installed to share/kappa/plugin-template" + r.describe()));
    installed_ = true;
  }

  // (b) The installed template, copied as an author would, configures and builds out of tree.
  void buildTemplateAgainstInstalledSdk() {
    QVERIFY2(installed_, "needs installSdkComponent, which failed");
    QString error;
    QVERIFY2(copyTree(prefix() + "/share/kappa/plugin-template", path("template"), &error), qPrintable(error));
    QStringList configure{"-S", path("template"), "-B", path("tb"), "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix(),
                          "-DCMAKE_BUILD_TYPE=Release"};
#ifdef KAPPA_CXX_COMPILER
    configure << "-DCMAKE_CXX_COMPILER=" KAPPA_CXX_COMPILER;
#endif
    const Run c = run(KAPPA_CMAKE_COMMAND, configure, 180000);
    QVERIFY2(c.ok(), qPrintable("configuring the template against the installed SDK failed:" + c.describe()));
    const Run b = run(KAPPA_CMAKE_COMMAND, {"--build", path("tb")}, 300000);
    QVERIFY2(b.ok(), qPrintable("building the template failed:" + b.describe()));
    QVERIFY2(QFile::exists(plugin()), qPrintable("the build did not produce " + plugin() + b.describe()));
    built_ = true;
  }

  // (c) The built plugin loads and runs in a headless terminal.
  void templatePluginRunsHeadless() {
    QVERIFY2(built_, "needs buildTemplateAgainstInstalledSdk, which failed");
    const QString report = path("report.json");
    const Run r = run(kappa::test::kappaBinary(),
                      {"--headless", "--data-dir", path("data"), "--duration", "3", "--report", report, "--plugin", plugin()},
                      90000);
    QVERIFY2(r.ok(), qPrintable("kappa with the template plugin did not exit cleanly:" + r.describe()));
    QFile f(report);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable("no report at " + report + r.describe()));
    const QByteArray json = f.readAll();
    QJsonParseError err;
    const QJsonObject root = QJsonDocument::fromJson(json, &err).object();
    QVERIFY2(err.error == QJsonParseError::NoError, qPrintable("report is not JSON: " + err.errorString()));
    const QString context = "\n  report: " + QString::fromUtf8(json) + r.describe();
    QVERIFY2(root["strategies"].isArray(), qPrintable("report has no \"strategies\" array" + context));
    const QJsonArray strategies = root["strategies"].toArray();
    QVERIFY2(strategies.size() == 1, qPrintable(QString("expected 1 strategy, got %1").arg(strategies.size()) + context));
    const QJsonObject s = strategies.at(0).toObject();
    QVERIFY2(s["strategy_id"].toString() == "com.example.my-strategy",
             qPrintable("wrong strategy_id \"" + s["strategy_id"].toString() + "\"" + context));
    const QString state = s["state"].toString();
    QVERIFY2(state == "running" || state == "stopped",
             qPrintable("state is \"" + state + "\", expected running or stopped" + context));
    QVERIFY2(s.contains("faults") && s["faults"].toInt(-1) == 0, qPrintable("faults is not 0" + context));
  }

  // The first load records the binary's SHA-256 in <data-dir>/plugins/approved.sha256.
  void firstLoadRecordsTheHash() {
    QVERIFY2(built_, "needs buildTemplateAgainstInstalledSdk, which failed");
    QFile so(plugin());
    QVERIFY(so.open(QIODevice::ReadOnly));
    const QByteArray hash = QCryptographicHash::hash(so.readAll(), QCryptographicHash::Sha256).toHex();
    QFile approvals(path("data/plugins/approved.sha256"));
    QVERIFY2(approvals.open(QIODevice::ReadOnly), qPrintable("no " + approvals.fileName() + " after the headless run"));
    const QByteArray text = approvals.readAll();
    bool found = false;
    for (const QByteArray& line : text.split('\n'))
      if (line.startsWith(hash + "  ") && line.endsWith("my_strategy.so")) found = true;
    QVERIFY2(found, qPrintable("no line \"" + QString::fromLatin1(hash) + "  <path>/my_strategy.so\" in " +
                               approvals.fileName() + ":\n" + QString::fromUtf8(text)));
  }

  // (d) A plugin built for another ABI major is refused, with a message that says so.
  void wrongAbiPluginIsRefused() {
    const QString wrong = kappa::test::wrongAbiPlugin();
    QVERIFY2(QFile::exists(wrong), qPrintable("test plugin not built: " + wrong));
    const Run r = run(kappa::test::kappaBinary(),
                      {"--headless", "--data-dir", path("data-abi"), "--duration", "1", "--report", path("abi.json"),
                       "--plugin", wrong},
                      60000);
    QVERIFY2(r.started && r.finished, qPrintable("kappa did not run to the end:" + r.describe()));
    QVERIFY2(r.status == QProcess::NormalExit, qPrintable("kappa crashed on a wrong-ABI plugin:" + r.describe()));
    QVERIFY2(r.exitCode != 0, qPrintable("kappa accepted a wrong-ABI plugin (exit code 0):" + r.describe()));
    QVERIFY2(r.err.contains("ABI"), qPrintable("stderr does not mention the ABI:" + r.describe()));
  }
};

QTEST_GUILESS_MAIN(TestSdk)
#include "tst_sdk.moc"
