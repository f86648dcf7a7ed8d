#pragma once
// How to reach a nats-server and who we are to it: the URL (nats:// or tls://), the credentials
// (a user and password, or a .creds file), the TLS files and the reconnect policy. Plain data; the
// password is never part of describe(), so a settings object can be logged as is.
#include <chrono>
#include <string>

namespace kappa::nats {

// One subject token, as user and engine names must be: letters, digits, '-', '_'.
bool isPlainToken(const std::string& s);

struct NatsSettings {
  std::string url = "nats://127.0.0.1:4222";  // nats://HOST:PORT, or tls://HOST:PORT (TLS required)

  // Credentials: a .creds file (JWT + NKey seed) when set, else user + password (both may be empty
  // for a server without authorization). `user` is the user's name either way: it names the
  // command subjects (kappa.E.cmd.USER.VERB) and the reply inbox; with a creds file it is the name
  // in the file's user JWT (useCredsFile), and validate() refuses any other.
  std::string user;
  std::string password;  // never logged, never in describe()
  std::string credsFile;  // must be the owner's only (mode 0600): see CredsFile.hpp

  // TLS: the CA that signed the server's certificate (also turns TLS on for a nats:// URL), and an
  // optional client certificate + key for servers that verify clients.
  std::string caFile;
  std::string certFile;
  std::string keyFile;
  std::string tlsHostname;  // the name the server's certificate must carry; "" = the URL's host

  std::string connectionName = "kappa";  // shown in the server's connz / logs
  // Prefix of this connection's reply subjects. "" = "_INBOX.<user>" when the user is a plain token
  // (letters, digits, '-', '_'), else "_INBOX": the roles file lets each user subscribe only to its
  // own _INBOX.<user>.>, so one user cannot read another's answers.
  std::string inboxPrefix;

  std::chrono::milliseconds connectTimeout{2000};  // per connection attempt
  std::chrono::milliseconds reconnectWait{500};     // between reconnect attempts (forever)
  std::chrono::milliseconds pingInterval{2000};     // how quickly a dead server is noticed
  int maxPingsOut = 2;                              // unanswered pings before "disconnected"

  // With a creds file: useCredsFile(credsFile) (what is wrong with the file, validate() tells).
  // Without: KAPPA_NATS_USER / KAPPA_NATS_PASSWORD into user / password.
  static NatsSettings fromEnvironment(const std::string& url, const std::string& credsFile = {});
  // Signs in with `file`: credsFile = file, user = the name in its user JWT, no password.
  // "" or why the file cannot be used (then user is empty).
  std::string useCredsFile(const std::string& file);

  bool tlsRequested() const;          // tls:// URL or a CA / client certificate given
  std::string effectiveInboxPrefix() const;
  // "" when usable, else what is wrong (bad URL scheme, key without certificate, unreadable file,
  // a creds file others may read or whose user is not `user`).
  std::string validate() const;
  // "tls://host:4222 as user 'trader' (password set), CA ca.pem" — never the password itself.
  std::string describe() const;
};

}  // namespace kappa::nats
