#include "DeskCommands.hpp"

#include <QCommandLineParser>
#include <QFile>
#include <cstdio>
#include <thread>

#include "NatsAccess.hpp"
#include "Options.hpp"
#include "core/Clock.hpp"
#include "desk/DeskHaltNotice.hpp"
#include "desk/DeskLimits.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"
#include "remote/Subjects.hpp"

namespace kappa::app {

bool isDeskCommand(const QStringList& arguments) {
  return arguments.size() > 1 && (arguments[1] == "desk-halt" || arguments[1] == "desk-limits");
}

int runDeskCommand(const QStringList& arguments) {
  const QString command = arguments[1];
  const bool halt = command == "desk-halt";
  QCommandLineParser p;
  p.setApplicationDescription(halt ? "Halt every engine of the desk (the risk role's DESK HALT)."
                                   : "Set the desk limits every engine checks (the risk role's).");
  p.addHelpOption();
  p.addPositionalArgument("url", "The desk's NATS server: nats://HOST:PORT or tls://HOST:PORT.");
  const QCommandLineOption reason("reason", "Why (every engine's journal and report keep it).", "TEXT");
  const QCommandLineOption lift("lift", "Lift the desk halt: engines may be resumed again (they stay halted until then).");
  const QCommandLineOption file("file", "The desk limits (JSON, docs/desk.md).", "FILE");
  const QCommandLineOption creds("nats-creds", "NATS credentials file (chmod 600) instead of KAPPA_NATS_USER / KAPPA_NATS_PASSWORD.", "FILE");
  const QCommandLineOption tlsCa("tls-ca", "Trust only this CA certificate (PEM) for the server's TLS.", "FILE");
  const QCommandLineOption tlsCert("tls-cert", "Client certificate (PEM), when the server asks for one.", "FILE");
  const QCommandLineOption tlsKey("tls-key", "The client certificate's key (PEM).", "FILE");
  if (halt) p.addOptions({reason, lift});
  else p.addOption(file);
  p.addOptions({creds, tlsCa, tlsCert, tlsKey});
  QStringList args = arguments;
  args.removeAt(1);
  const QString usage = p.helpText().replace("<executable_name>", "kappa " + command);
  auto fail = [&](const QString& why) {
    std::fprintf(stderr, "kappa %s: %s\n\n%s", qPrintable(command), qPrintable(why), qPrintable(usage));
    return 2;
  };
  if (!p.parse(args)) return fail(p.errorText());
  if (p.isSet("help")) {
    std::printf("%s", qPrintable(usage));
    return 0;
  }
  if (p.positionalArguments().size() != 1) return fail("needs the server's URL (nats://HOST:PORT)");
  const QString url = p.positionalArguments().first();
  if (const QString problem = natsUrlProblem(url); !problem.isEmpty()) return fail("the URL " + problem);
  if (halt && p.value(reason).trimmed().isEmpty()) return fail("--reason TEXT is required: every engine journals it");
  if (!halt && p.value(file).isEmpty()) return fail("--file LIMITS.json is required");
  if (p.isSet(tlsCert) != p.isSet(tlsKey)) return fail("--tls-cert and --tls-key go together");

  std::string payload;
  if (!halt) {
    QFile f(p.value(file));
    if (!f.open(QIODevice::ReadOnly)) return fail("cannot read " + p.value(file) + ": " + f.errorString());
    payload = f.read(1 << 20).toStdString();
    std::string error;
    if (!desk::decodeDeskLimits(payload, &error)) {
      std::fprintf(stderr, "kappa desk-limits: %s: %s\n", qPrintable(p.value(file)), error.c_str());
      return 1;
    }
  }
  const nats::NatsSettings settings =
      natsSettings(url, p.value(creds), p.value(tlsCa), p.value(tlsCert), p.value(tlsKey), "kappa " + command.toStdString());
  auto refused = [&](const std::string& why) {
    std::fprintf(stderr, "kappa %s: not accepted: %s\n", qPrintable(command), why.c_str());
    return 1;
  };
  nats::NatsConnection connection;
  if (std::string error = connection.connect(settings); !error.empty()) return refused(error);
  auto openBucket = [&](std::string& error) { return nats::KeyValueBucket::openOrCreate(connection, remote::kDeskBucket, error); };
  std::string error;

  if (!halt) {
    auto bucket = openBucket(error);
    if (!bucket) return refused(std::string("the desk bucket ") + remote::kDeskBucket + ": " + error);
    const nats::KvPutResult put = bucket->put(remote::kDeskLimitsKey, payload);
    if (!put.ok()) return refused(put.error);
    std::printf("desk limits set (revision %llu)\n", static_cast<unsigned long long>(put.revision));
    return 0;
  }
  desk::DeskHaltNotice notice;
  notice.active = !p.isSet(lift);
  notice.id = desk::newDeskHaltId();
  notice.reason = p.value(reason).trimmed().toStdString();
  notice.user = settings.user;
  notice.at = wallNow();
  const std::string text = desk::encodeDeskHalt(notice);
  // The message first (engines that are connected halt at once), then the bucket (engines that
  // connect later, or missed the message). Accepted = the server took both.
  if (std::string e = connection.publish(remote::kDeskHaltSubject, text); !e.empty()) return refused(e);
  if (std::string e = connection.flush(std::chrono::milliseconds(5000)); !e.empty()) return refused(e);
  // The server's refusal of the message is told on another thread a moment after the flush: a
  // user without the risk role hears it now, not after the bucket's calls time out.
  for (int i = 0; i < 15; ++i) {
    if (std::string denied = connection.deniedReason(remote::kDeskHaltSubject); !denied.empty()) return refused(denied);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto bucket = openBucket(error);
  if (!bucket) return refused(std::string("the desk bucket ") + remote::kDeskBucket + ": " + error);
  const nats::KvPutResult put = bucket->put(remote::kDeskHaltKey, text);
  if (!put.ok()) return refused(put.error);
  if (std::string denied = connection.deniedReason(remote::kDeskHaltSubject); !denied.empty()) return refused(denied);
  std::printf("%s (id %s)\n", notice.active ? "DESK HALT sent" : "desk halt lifted", notice.id.c_str());
  return 0;
}

}  // namespace kappa::app
